import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger: one row per execution of a capsule. `duration_ms` is derived by
 * the database from the two instants, so it can never disagree with them.
 * Indexes follow the queries the API makes:
 *  - newest first, overall and per capsule (keyset pages on started_at, id);
 *  - artifacts by checksum, newest first;
 *  - runs still running (stuck-run detection);
 *  - the exactly-once key of a report.
 */
export class CreateCapsuleRuns1764000000001 implements MigrationInterface {
  name = 'CreateCapsuleRuns1764000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE capsule_runs (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        capsule_id    integer NOT NULL REFERENCES capsules (id) ON DELETE CASCADE,
        actor         text NOT NULL,
        status        text NOT NULL DEFAULT 'success',
        started_at    timestamptz(3) NOT NULL DEFAULT now(),
        completed_at  timestamptz(3),
        duration_ms   bigint GENERATED ALWAYS AS (
                        (EXTRACT(EPOCH FROM (completed_at - started_at)) * 1000)::bigint
                      ) STORED,
        artifact_uri  text,
        checksum      text,
        exit_code     integer,
        message       text,
        run_key       text,
        CONSTRAINT capsule_runs_actor_length CHECK (char_length(actor) BETWEEN 1 AND 120),
        CONSTRAINT capsule_runs_status_valid
          CHECK (status IN ('running', 'success', 'error', 'timeout', 'cancelled')),
        CONSTRAINT capsule_runs_completion
          CHECK ((status = 'running') = (completed_at IS NULL)),
        CONSTRAINT capsule_runs_completed_after_start
          CHECK (completed_at IS NULL OR completed_at >= started_at),
        CONSTRAINT capsule_runs_artifact_uri_length CHECK (char_length(artifact_uri) BETWEEN 1 AND 2048),
        CONSTRAINT capsule_runs_checksum_length CHECK (char_length(checksum) BETWEEN 1 AND 200),
        CONSTRAINT capsule_runs_message_length CHECK (char_length(message) <= 4000),
        CONSTRAINT capsule_runs_run_key_length CHECK (char_length(run_key) BETWEEN 1 AND 200)
      )
    `);
    await queryRunner.query('CREATE INDEX capsule_runs_newest_idx ON capsule_runs (started_at DESC, id DESC)');
    await queryRunner.query(
      'CREATE INDEX capsule_runs_capsule_newest_idx ON capsule_runs (capsule_id, started_at DESC, id DESC)',
    );
    await queryRunner.query(
      `CREATE INDEX capsule_runs_checksum_idx ON capsule_runs (checksum, started_at DESC, id DESC)
         WHERE checksum IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX capsule_runs_running_idx ON capsule_runs (capsule_id, started_at)
         WHERE status = 'running'`,
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX capsule_runs_run_key_key ON capsule_runs (run_key) WHERE run_key IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE capsule_runs');
  }
}
