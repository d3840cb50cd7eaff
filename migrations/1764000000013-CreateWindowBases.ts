import type { MigrationInterface, QueryRunner } from 'typeorm';

const COUNTERS = [
  'total_runs',
  'running_runs',
  'successful_runs',
  'error_runs',
  'timeout_runs',
  'cancelled_runs',
  'runtime_count',
  'runtime_sum_ms',
];

/**
 * Window bases (ADR 16): a base of a capsule at an instant `b` (a UTC hour or day boundary) holds
 * the totals of its runs that started before `b`. A window from `since` on is then the all-time
 * rollup row minus the base at `since`: two rows per capsule, not one per hour or day of the
 * window. The keeper in libs/runs creates the bases the windows need (at the current starts of
 * 24h, 7d and 30d) under the capsules' all-time rollup row locks and drops those no window needs.
 * A run written later that started before a base's instant (a late report, a finish, a backfill,
 * a delete) moves that base here, in the writer's transaction. These triggers must fire after
 * `capsule_runs_rollups_*` (PostgreSQL fires them in name order): that trigger locks the capsule's
 * all-time row first, which is what orders a writer and the keeper.
 * `capsule_slot_window_bases` is the same for settled slots (`performance` uptime): the counts by
 * outcome of the slots before `b`, kept by a trigger on `capsule_slots` after its rollup trigger.
 */
export class CreateWindowBases1764000000013 implements MigrationInterface {
  name = 'CreateWindowBases1764000000013';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE capsule_run_window_bases (
        capsule_id        integer NOT NULL REFERENCES capsules (id) ON DELETE CASCADE,
        grain             text NOT NULL,
        bucket_start      timestamptz NOT NULL,
        total_runs        integer NOT NULL DEFAULT 0,
        running_runs      integer NOT NULL DEFAULT 0,
        successful_runs   integer NOT NULL DEFAULT 0,
        error_runs        integer NOT NULL DEFAULT 0,
        timeout_runs      integer NOT NULL DEFAULT 0,
        cancelled_runs    integer NOT NULL DEFAULT 0,
        runtime_count     integer NOT NULL DEFAULT 0,
        runtime_sum_ms    bigint NOT NULL DEFAULT 0,
        runtime_histogram integer[],
        PRIMARY KEY (capsule_id, grain, bucket_start),
        CONSTRAINT capsule_run_window_bases_grain_valid CHECK (grain IN ('hour', 'day'))
      )
    `);
    // The runs of `rows` each base after their start counts, summed per base.
    const deltas = (rows: string) => `
      SELECT b.capsule_id, b.grain, b.bucket_start,
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
      JOIN capsule_run_window_bases b ON b.capsule_id = s.capsule_id AND b.bucket_start > s.started_at
      GROUP BY b.capsule_id, b.grain, b.bucket_start`;
    const apply = (rows: string, op: '+' | '-') => `
      UPDATE capsule_run_window_bases AS t SET
        ${COUNTERS.map((c) => `${c} = t.${c} ${op} d.${c}`).join(',\n        ')},
        runtime_histogram = ${op === '+' ? 'int_array_add' : 'int_array_sub'}(t.runtime_histogram, d.runtime_histogram)
      FROM (${deltas(rows)}) d
      WHERE t.capsule_id = d.capsule_id AND t.grain = d.grain AND t.bucket_start = d.bucket_start`;
    await queryRunner.query(`
      CREATE FUNCTION capsule_runs_maintain_window_bases() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          ${apply('old_rows', '-')};
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          ${apply('new_rows', '+')};
        END IF;
        RETURN NULL;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER capsule_runs_window_bases_insert AFTER INSERT ON capsule_runs
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_window_bases()
    `);
    await queryRunner.query(`
      CREATE TRIGGER capsule_runs_window_bases_update AFTER UPDATE ON capsule_runs
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_window_bases()
    `);
    await queryRunner.query(`
      CREATE TRIGGER capsule_runs_window_bases_delete AFTER DELETE ON capsule_runs
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_maintain_window_bases()
    `);

    await queryRunner.query(`
      CREATE TABLE capsule_slot_window_bases (
        capsule_id   integer NOT NULL REFERENCES capsules (id) ON DELETE CASCADE,
        grain        text NOT NULL,
        bucket_start timestamptz NOT NULL,
        on_time      integer NOT NULL DEFAULT 0,
        late         integer NOT NULL DEFAULT 0,
        missed       integer NOT NULL DEFAULT 0,
        paused       integer NOT NULL DEFAULT 0,
        PRIMARY KEY (capsule_id, grain, bucket_start),
        CONSTRAINT capsule_slot_window_bases_grain_valid CHECK (grain IN ('hour', 'day'))
      )
    `);
    const slotApply = (rows: string, op: '+' | '-') => `
      UPDATE capsule_slot_window_bases AS t SET
        on_time = t.on_time ${op} d.on_time, late = t.late ${op} d.late,
        missed = t.missed ${op} d.missed, paused = t.paused ${op} d.paused
      FROM (
        SELECT b.capsule_id, b.grain, b.bucket_start,
               count(*) FILTER (WHERE s.outcome = 'on_time') AS on_time,
               count(*) FILTER (WHERE s.outcome = 'late') AS late,
               count(*) FILTER (WHERE s.outcome = 'missed') AS missed,
               count(*) FILTER (WHERE s.outcome = 'paused') AS paused
        FROM ${rows} s
        JOIN capsule_slot_window_bases b ON b.capsule_id = s.capsule_id AND b.bucket_start > s.at
        GROUP BY b.capsule_id, b.grain, b.bucket_start
      ) d
      WHERE t.capsule_id = d.capsule_id AND t.grain = d.grain AND t.bucket_start = d.bucket_start`;
    await queryRunner.query(`
      CREATE FUNCTION capsule_slots_maintain_window_bases() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          ${slotApply('old_rows', '-')};
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          ${slotApply('new_rows', '+')};
        END IF;
        RETURN NULL;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER capsule_slots_window_bases_insert AFTER INSERT ON capsule_slots
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_slots_maintain_window_bases()
    `);
    await queryRunner.query(`
      CREATE TRIGGER capsule_slots_window_bases_update AFTER UPDATE ON capsule_slots
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION capsule_slots_maintain_window_bases()
    `);
    await queryRunner.query(`
      CREATE TRIGGER capsule_slots_window_bases_delete AFTER DELETE ON capsule_slots
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION capsule_slots_maintain_window_bases()
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const op of ['insert', 'update', 'delete']) {
      await queryRunner.query(`DROP TRIGGER capsule_slots_window_bases_${op} ON capsule_slots`);
      await queryRunner.query(`DROP TRIGGER capsule_runs_window_bases_${op} ON capsule_runs`);
    }
    await queryRunner.query('DROP FUNCTION capsule_slots_maintain_window_bases()');
    await queryRunner.query('DROP TABLE capsule_slot_window_bases');
    await queryRunner.query('DROP FUNCTION capsule_runs_maintain_window_bases()');
    await queryRunner.query('DROP TABLE capsule_run_window_bases');
  }
}
