import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys kept in the database (`npm run apikey`). A key reads
 * `cap_<id>_<secret>`: `id` finds the row, and only the SHA-256 of the whole
 * key is stored. A name is unique among keys not revoked; revoked rows stay
 * as the record of who could write when.
 */
export class CreateApiKeys1764000000005 implements MigrationInterface {
  name = 'CreateApiKeys1764000000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{12}$'),
        name        text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$'),
        scope       text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
        key_hash    bytea NOT NULL CHECK (octet_length(key_hash) = 32),
        created_at  timestamptz(3) NOT NULL DEFAULT now(),
        revoked_at  timestamptz(3),
        CHECK (revoked_at IS NULL OR revoked_at >= created_at)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_keys`);
  }
}
