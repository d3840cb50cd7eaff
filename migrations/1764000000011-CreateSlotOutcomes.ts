import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The advisory lock space of a capsule's slot closing (libs/schedules: SLOT_LOCK_SPACE). */
const SLOT_LOCK_SPACE = 1011;

/**
 * Slot outcomes kept as they settle (docs/slots.md, ADR 11), so `performance` carries uptime for
 * every capsule without computing a ledger per capsule:
 * - `capsule_slots`: one row per slot that has an outcome (on time, late, missed, paused; a
 *   pending slot has none yet), written only by the slot closer (libs/schedules);
 * - `capsule_slot_rollups` (hour, day, all) and `capsule_slot_revision_rollups`: its counters,
 *   kept by statement triggers on `capsule_slots` in the closer's transaction;
 * - `capsule_slot_marks`: per capsule, how far the closer has gone (`closed_until`, a window
 *   start), when time alone changes an outcome next (`close_after`: the open window's end), the
 *   latest run start it has seen, `stale_from`, set by a trigger on `capsule_runs` when a run
 *   arrives that starts in a closed window or before the open slot's late run (a backfill that may
 *   settle a slot differently), and `postponed_until` after the closer failed on it. The
 *   writer holds a shared advisory lock on the capsule until it commits; the closer takes it
 *   exclusively, so no run is in flight while it closes.
 * The history is not back-filled here: the closer catches up from each capsule's first schedule,
 * a bounded chunk per pass.
 */
export class CreateSlotOutcomes1764000000011 implements MigrationInterface {
  name = 'CreateSlotOutcomes1764000000011';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE capsule_slots (
        capsule_id        integer NOT NULL REFERENCES capsules (id) ON DELETE CASCADE,
        at                timestamptz NOT NULL,
        revision          integer NOT NULL,
        outcome           text NOT NULL,
        run_id            bigint,
        lateness_seconds  integer,
        PRIMARY KEY (capsule_id, at),
        CONSTRAINT capsule_slots_outcome_valid CHECK (outcome IN ('on_time', 'late', 'missed', 'paused'))
      )`);
    await queryRunner.query(`
      CREATE TABLE capsule_slot_rollups (
        capsule_id    integer NOT NULL REFERENCES capsules (id) ON DELETE CASCADE,
        grain         text NOT NULL,
        bucket_start  timestamptz NOT NULL,
        on_time       integer NOT NULL DEFAULT 0,
        late          integer NOT NULL DEFAULT 0,
        missed        integer NOT NULL DEFAULT 0,
        paused        integer NOT NULL DEFAULT 0,
        PRIMARY KEY (capsule_id, grain, bucket_start),
        CONSTRAINT capsule_slot_rollups_grain_valid CHECK (grain IN ('hour', 'day', 'all'))
      )`);
    await queryRunner.query(`
      CREATE TABLE capsule_slot_revision_rollups (
        capsule_id  integer NOT NULL REFERENCES capsules (id) ON DELETE CASCADE,
        revision    integer NOT NULL,
        on_time     integer NOT NULL DEFAULT 0,
        late        integer NOT NULL DEFAULT 0,
        missed      integer NOT NULL DEFAULT 0,
        paused      integer NOT NULL DEFAULT 0,
        PRIMARY KEY (capsule_id, revision)
      )`);
    await queryRunner.query(`
      CREATE TABLE capsule_slot_marks (
        capsule_id    integer PRIMARY KEY REFERENCES capsules (id) ON DELETE CASCADE,
        closed_until  timestamptz,
        close_after   timestamptz,
        seen_run_at   timestamptz,
        -- a run started after seen_run_at and before this only duplicates a matched slot
        settled_until timestamptz,
        -- the start of the open slot's run when it came late (an earlier run may make it on time)
        open_run_at   timestamptz,
        stale_from    timestamptz,
        -- left alone until then after the closer failed on it
        postponed_until  timestamptz
      )`);
    await queryRunner.query(
      'CREATE INDEX capsule_slot_marks_close_after ON capsule_slot_marks (close_after) WHERE close_after IS NOT NULL',
    );
    // The slots of a transition table counted (sign 1) or uncounted (sign -1) in their hour, day,
    // all-time and revision rows: one aggregate per statement (a close writes up to 2,000 slots).
    const count = (rows: string, sign: number) => `
      INSERT INTO capsule_slot_rollups AS t (capsule_id, grain, bucket_start, on_time, late, missed, paused)
      SELECT s.capsule_id, g.grain, rollup_bucket(g.grain, s.at) AS bucket,
             ${sign} * count(*) FILTER (WHERE s.outcome = 'on_time'), ${sign} * count(*) FILTER (WHERE s.outcome = 'late'),
             ${sign} * count(*) FILTER (WHERE s.outcome = 'missed'), ${sign} * count(*) FILTER (WHERE s.outcome = 'paused')
      FROM ${rows} s CROSS JOIN (VALUES ('hour'), ('day'), ('all')) AS g(grain)
      GROUP BY s.capsule_id, g.grain, bucket
      ORDER BY s.capsule_id, g.grain, bucket
      ON CONFLICT (capsule_id, grain, bucket_start) DO UPDATE SET
        on_time = t.on_time + EXCLUDED.on_time, late = t.late + EXCLUDED.late,
        missed = t.missed + EXCLUDED.missed, paused = t.paused + EXCLUDED.paused;
      INSERT INTO capsule_slot_revision_rollups AS t (capsule_id, revision, on_time, late, missed, paused)
      SELECT s.capsule_id, s.revision,
             ${sign} * count(*) FILTER (WHERE s.outcome = 'on_time'), ${sign} * count(*) FILTER (WHERE s.outcome = 'late'),
             ${sign} * count(*) FILTER (WHERE s.outcome = 'missed'), ${sign} * count(*) FILTER (WHERE s.outcome = 'paused')
      FROM ${rows} s
      GROUP BY s.capsule_id, s.revision
      ORDER BY s.capsule_id, s.revision
      ON CONFLICT (capsule_id, revision) DO UPDATE SET
        on_time = t.on_time + EXCLUDED.on_time, late = t.late + EXCLUDED.late,
        missed = t.missed + EXCLUDED.missed, paused = t.paused + EXCLUDED.paused`;
    await queryRunner.query(`
      CREATE FUNCTION capsule_slots_maintain_rollups() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN ${count('old_rows', -1)}; END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN ${count('new_rows', 1)}; END IF;
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER capsule_slots_rollups_insert AFTER INSERT ON capsule_slots
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION capsule_slots_maintain_rollups()`);
    await queryRunner.query(`
      CREATE TRIGGER capsule_slots_rollups_update AFTER UPDATE ON capsule_slots
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION capsule_slots_maintain_rollups()`);
    await queryRunner.query(`
      CREATE TRIGGER capsule_slots_rollups_delete AFTER DELETE ON capsule_slots
      REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION capsule_slots_maintain_rollups()`);
    // A run in a window the closer has closed, or in the open window before its late run: the
    // slots from there are looked at again.
    // The writer holds a shared advisory lock on the capsule (key ${SLOT_LOCK_SPACE}) until it commits; the
    // closer takes it exclusively, so it never closes a slot while a run of it is in flight.
    await queryRunner.query(`
      CREATE FUNCTION capsule_runs_mark_stale_slots() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(${SLOT_LOCK_SPACE}, capsule_id)
        FROM (SELECT DISTINCT capsule_id FROM new_rows ORDER BY capsule_id) n;
        UPDATE capsule_slot_marks m SET stale_from = LEAST(m.stale_from, n.first_start)
        FROM (SELECT capsule_id, min(started_at) AS first_start FROM new_rows GROUP BY capsule_id) n
        WHERE m.capsule_id = n.capsule_id
          AND (n.first_start < m.closed_until OR n.first_start < m.open_run_at)
          AND (m.stale_from IS NULL OR n.first_start < m.stale_from);
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER capsule_runs_stale_slots AFTER INSERT ON capsule_runs
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION capsule_runs_mark_stale_slots()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER capsule_runs_stale_slots ON capsule_runs');
    await queryRunner.query('DROP FUNCTION capsule_runs_mark_stale_slots()');
    await queryRunner.query('DROP TABLE capsule_slot_marks');
    await queryRunner.query('DROP TABLE capsule_slots');
    await queryRunner.query('DROP FUNCTION capsule_slots_maintain_rollups()');
    await queryRunner.query('DROP TABLE capsule_slot_revision_rollups');
    await queryRunner.query('DROP TABLE capsule_slot_rollups');
  }
}
