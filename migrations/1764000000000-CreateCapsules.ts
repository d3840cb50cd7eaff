import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry: one row per capsule (an operational job), keyed by its slug.
 * Value sets that are closed (status) and the bounds the API promises are
 * CHECK constraints, so no writer can store what the API would reject.
 */
export class CreateCapsules1764000000000 implements MigrationInterface {
  name = 'CreateCapsules1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE capsules (
        id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        slug                text NOT NULL,
        title               text NOT NULL,
        kind                text NOT NULL,
        mode                text NOT NULL,
        version             text NOT NULL DEFAULT '1.0.0',
        status              text NOT NULL DEFAULT 'active',
        entrypoint          text NOT NULL DEFAULT '',
        schedule            text,
        timezone            text NOT NULL DEFAULT 'UTC',
        grace_seconds       integer NOT NULL DEFAULT 300,
        max_runtime_seconds integer,
        tags                text[] NOT NULL DEFAULT '{}',
        created_at          timestamptz(3) NOT NULL DEFAULT now(),
        updated_at          timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT capsules_slug_key UNIQUE (slug),
        CONSTRAINT capsules_slug_format CHECK (slug ~ '^[a-z0-9-]{1,120}$'),
        CONSTRAINT capsules_title_length CHECK (char_length(title) BETWEEN 1 AND 200),
        CONSTRAINT capsules_kind_length CHECK (char_length(kind) BETWEEN 1 AND 50),
        CONSTRAINT capsules_mode_length CHECK (char_length(mode) BETWEEN 1 AND 50),
        CONSTRAINT capsules_version_length CHECK (char_length(version) BETWEEN 1 AND 50),
        CONSTRAINT capsules_status_valid CHECK (status IN ('active', 'archived')),
        CONSTRAINT capsules_entrypoint_length CHECK (char_length(entrypoint) <= 500),
        CONSTRAINT capsules_schedule_length CHECK (char_length(schedule) BETWEEN 1 AND 120),
        CONSTRAINT capsules_timezone_length CHECK (char_length(timezone) BETWEEN 1 AND 64),
        CONSTRAINT capsules_grace_range CHECK (grace_seconds BETWEEN 0 AND 2592000),
        CONSTRAINT capsules_max_runtime_range CHECK (max_runtime_seconds BETWEEN 1 AND 2592000),
        CONSTRAINT capsules_tags_count CHECK (cardinality(tags) <= 20)
      )
    `);
    // Filters of GET /api/capsules (kind, mode, status) are served by scans of a
    // registry that holds thousands of rows at most: no extra index pays off.
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE capsules');
  }
}
