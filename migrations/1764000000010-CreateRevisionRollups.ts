import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Run statistics per capsule definition revision, kept like the time rollups (ADR 6): one row
 * per (capsule, revision) with the counters of the ledger vocabulary, the runtime sum and the
 * runtime histogram, maintained by statement-level triggers on `capsule_runs` in the writer's
 * transaction, so `GET /api/capsules/{slug}/stats?group_by=revision` is exact and never reads the
 * run history. Revision 0 holds the runs reported before revisions were recorded (migration
 * AddCapsuleRevisionsAndRunKeys). The triggers lock their rows in (capsule, revision) order, and
 * fire before the time rollups' (trigger names sort so), the same order for every writer.
 */
export class CreateRevisionRollups1764000000010 implements MigrationInterface {
  name = 'CreateRevisionRollups1764000000010';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Writes wait until the backfill below commits with the triggers: no run counted twice or
    // lost between them (the migration's lock timeout bounds the wait for running writers).
    await queryRunner.query('LOCK TABLE capsule_runs IN SHARE MODE');
    await queryRunner.query(`
      CREATE TABLE capsule_revision_rollups (
        capsule_id         integer NOT NULL REFERENCES capsules (id) ON DELETE CASCADE,
        revision           integer NOT NULL,
        total_runs         integer NOT NULL DEFAULT 0,
        running_runs       integer NOT NULL DEFAULT 0,
        successful_runs    integer NOT NULL DEFAULT 0,
        error_runs         integer NOT NULL DEFAULT 0,
        timeout_runs       integer NOT NULL DEFAULT 0,
        cancelled_runs     integer NOT NULL DEFAULT 0,
        runtime_count      integer NOT NULL DEFAULT 0,
        runtime_sum_ms     bigint NOT NULL DEFAULT 0,
        runtime_histogram  integer[],
        PRIMARY KEY (capsule_id, revision)
      )`);
    // One aggregate per (capsule, revision) of a transition table, as the time rollups spell it.
    const aggregate = (rows: string) => `
      SELECT s.capsule_id, COALESCE(s.capsule_revision, 0) AS revision,
             count(*) AS total_runs,
             count(*) FILTER (WHERE s.status = 'running') AS running_runs,
             count(*) FILTER (WHERE s.status = 'success') AS successful_runs,
             count(*) FILTER (WHERE s.status = 'error') AS error_runs,
             count(*) FILTER (WHERE s.status = 'timeout') AS timeout_runs,
             count(*) FILTER (WHERE s.status = 'cancelled') AS cancelled_runs,
             count(s.duration_ms) AS runtime_count,
             COALESCE(sum(s.duration_ms), 0) AS runtime_sum_ms,
             CASE WHEN count(s.duration_ms) > 0 THEN runtime_histogram_of(array_agg(s.duration_ms)) END
               AS runtime_histogram
      FROM ${rows} s
      GROUP BY s.capsule_id, COALESCE(s.capsule_revision, 0)`;
    const add = (rows: string) => `
      INSERT INTO capsule_revision_rollups AS t
        (capsule_id, revision, total_runs, running_runs, successful_runs, error_runs, timeout_runs,
         cancelled_runs, runtime_count, runtime_sum_ms, runtime_histogram)
      SELECT * FROM (${aggregate(rows)}) a ORDER BY a.capsule_id, a.revision
      ON CONFLICT (capsule_id, revision) DO UPDATE SET
        total_runs = t.total_runs + EXCLUDED.total_runs,
        running_runs = t.running_runs + EXCLUDED.running_runs,
        successful_runs = t.successful_runs + EXCLUDED.successful_runs,
        error_runs = t.error_runs + EXCLUDED.error_runs,
        timeout_runs = t.timeout_runs + EXCLUDED.timeout_runs,
        cancelled_runs = t.cancelled_runs + EXCLUDED.cancelled_runs,
        runtime_count = t.runtime_count + EXCLUDED.runtime_count,
        runtime_sum_ms = t.runtime_sum_ms + EXCLUDED.runtime_sum_ms,
        runtime_histogram = int_array_add(t.runtime_histogram, EXCLUDED.runtime_histogram)`;
    const lock = (keys: string) => `
      PERFORM 1 FROM capsule_revision_rollups t
      WHERE (t.capsule_id, t.revision) IN (${keys})
      ORDER BY t.capsule_id, t.revision FOR UPDATE`;
    const keysOf = (rows: string) => `SELECT capsule_id, COALESCE(capsule_revision, 0) FROM ${rows}`;
    await queryRunner.query(`
      CREATE FUNCTION capsule_runs_maintain_revision_rollups() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          ${lock(keysOf('old_rows'))};
        ELSIF TG_OP = 'UPDATE' THEN
          ${lock(`${keysOf('old_rows')} UNION ${keysOf('new_rows')}`)};
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          UPDATE capsule_revision_rollups AS t SET
            total_runs = t.total_runs - d.total_runs,
            running_runs = t.running_runs - d.running_runs,
            successful_runs = t.successful_runs - d.successful_runs,
            error_runs = t.error_runs - d.error_runs,
            timeout_runs = t.timeout_runs - d.timeout_runs,
            cancelled_runs = t.cancelled_runs - d.cancelled_runs,
            runtime_count = t.runtime_count - d.runtime_count,
            runtime_sum_ms = t.runtime_sum_ms - d.runtime_sum_ms,
            runtime_histogram = int_array_sub(t.runtime_histogram, d.runtime_histogram)
          FROM (${aggregate('old_rows')}) d
          WHERE t.capsule_id = d.capsule_id AND t.revision = d.revision;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          ${add('new_rows')};
        END IF;
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER capsule_runs_revision_rollups_insert AFTER INSERT ON capsule_runs
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_revision_rollups()`);
    await queryRunner.query(`
      CREATE TRIGGER capsule_runs_revision_rollups_update AFTER UPDATE ON capsule_runs
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_revision_rollups()`);
    await queryRunner.query(`
      CREATE TRIGGER capsule_runs_revision_rollups_delete AFTER DELETE ON capsule_runs
      REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_revision_rollups()`);
    // The runs already stored, in one pass (the triggers take every write from here on).
    await queryRunner.query(add('capsule_runs'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER capsule_runs_revision_rollups_delete ON capsule_runs');
    await queryRunner.query('DROP TRIGGER capsule_runs_revision_rollups_update ON capsule_runs');
    await queryRunner.query('DROP TRIGGER capsule_runs_revision_rollups_insert ON capsule_runs');
    await queryRunner.query('DROP FUNCTION capsule_runs_maintain_revision_rollups()');
    await queryRunner.query('DROP TABLE capsule_revision_rollups');
  }
}
