import { Injectable } from '@nestjs/common';
import { Database, type Queries, sql } from '@app/database';
import type { SlotRun } from './slots';

/** The advisory lock space of a capsule's slot closing (migration CreateSlotOutcomes: the same number). */
export const SLOT_LOCK_SPACE = 1011;

/** How far the slot closer has gone for one capsule (`capsule_slot_marks`). */
export interface SlotMark {
  capsule_id: number;
  /** Slots from the window starting here on are looked at again by the next close (null: from the first). */
  closed_until: Date | null;
  /** When time alone settles a slot next (the open window's end). */
  close_after: Date | null;
  /** The latest run start the closer has accounted for. */
  seen_run_at: Date | null;
  /** A run started after seen_run_at and before this is a duplicate of a matched slot: it changes nothing. */
  settled_until: Date | null;
  /** The capsule's latest run start (its all-time rollup), read under the advisory lock. */
  last_run_at: Date | null;
  /** A run arrived that starts here, in a closed window or before the open slot's run: slots from here are looked at again. */
  stale_from: Date | null;
}

/** A settled slot as stored (`capsule_slots`). */
export interface StoredSlot {
  at: Date;
  revision: number;
  outcome: 'on_time' | 'late' | 'missed' | 'paused';
  runId: string | null;
  latenessSeconds: number | null;
}

/**
 * The slot outcomes the closer keeps: `capsule_slots`, its marks, and (through the table's
 * trigger) the slot rollups that `performance` reads. Owns these tables; reads the runs.
 */
@Injectable()
export class SlotOutcomesRepository {
  constructor(private readonly db: Database) {}

  /**
   * Capsules whose slots may have settled: a schedule and no mark yet (or a schedule again), a
   * window that has ended, a run not yet seen that may settle a slot, or a stale mark; not one
   * postponed after a failure.
   */
  async due(now: Date, limit: number): Promise<number[]> {
    const rows = await this.db.rows<{ id: number }>(
      sql`SELECT c.id FROM capsules c
          LEFT JOIN capsule_slot_marks m ON m.capsule_id = c.id
          ${LAST_RUN}
          WHERE ${duePredicate(now)}
          ORDER BY c.id
          LIMIT ${limit}`,
    );
    return rows.map((r) => r.id);
  }

  /** The earliest instant time alone settles a slot of any capsule after `now`. */
  async nextCloseAfter(now: Date): Promise<Date | null> {
    const row = await this.db.first<{ at: Date | null }>(
      sql`SELECT min(close_after) AS at FROM capsule_slot_marks WHERE close_after > ${now}`,
    );
    return row?.at ?? null;
  }

  /**
   * The capsule's mark, locked (created when missing), with its latest run start, when the
   * capsule is still due at `now`;
   * undefined when another closer got to it first. The capsule's slot advisory lock comes first:
   * it waits for the capsule's runs in flight (their writers hold it shared, and take it before
   * they touch the mark, so the two orders agree).
   */
  async lock(tx: Queries, capsuleId: number, now: Date): Promise<SlotMark | undefined> {
    await tx.rows(sql`SELECT pg_advisory_xact_lock(${SLOT_LOCK_SPACE}, ${capsuleId})`);
    const still = await tx.first<{ last_run_at: Date | null }>(
      sql`SELECT a.last_run_at FROM capsules c
          LEFT JOIN capsule_slot_marks m ON m.capsule_id = c.id
          ${LAST_RUN}
          WHERE c.id = ${capsuleId} AND ${duePredicate(now)}`,
    );
    if (!still) return undefined;
    await tx.rows(
      sql`INSERT INTO capsule_slot_marks (capsule_id) VALUES (${capsuleId}) ON CONFLICT (capsule_id) DO NOTHING`,
    );
    const mark = await tx.first<Omit<SlotMark, 'last_run_at'>>(
      sql`SELECT capsule_id, closed_until, close_after, seen_run_at, settled_until, stale_from FROM capsule_slot_marks
          WHERE capsule_id = ${capsuleId} FOR UPDATE`,
    );
    return mark && { ...mark, last_run_at: still.last_run_at };
  }

  /** The first run started in each window [start, end) (an end of null: open), one index probe each. */
  async firstRuns(tx: Queries, capsuleId: number, windows: { start: number; end: number }[]): Promise<SlotRun[]> {
    if (windows.length === 0) return [];
    const starts = windows.map((w) => new Date(w.start).toISOString());
    const ends = windows.map((w) => (Number.isFinite(w.end) ? new Date(w.end).toISOString() : 'infinity'));
    const rows = await tx.rows<{ id: string; status: string; started_at: Date }>(
      sql`SELECT r.id, r.status, r.started_at
          FROM unnest(${starts}::timestamptz[], ${ends}::timestamptz[]) AS w(s, e)
          CROSS JOIN LATERAL (
            SELECT id, status, started_at FROM capsule_runs
            WHERE capsule_id = ${capsuleId} AND started_at >= w.s AND started_at < w.e
            ORDER BY capsule_id, started_at, id LIMIT 1
          ) r`,
    );
    return rows.map((r) => ({ id: String(r.id), status: r.status, startedAt: r.started_at }));
  }

  /** Stores settled slots (changed ones rewritten) and forgets `unsettled` ones (pending again). */
  async save(tx: Queries, capsuleId: number, slots: StoredSlot[], unsettled: Date[]): Promise<void> {
    if (unsettled.length > 0) {
      await tx.rows(
        sql`DELETE FROM capsule_slots WHERE capsule_id = ${capsuleId}
            AND at = ANY (${unsettled.map((d) => d.toISOString())}::timestamptz[])`,
      );
    }
    if (slots.length === 0) return;
    await tx.rows(
      sql`INSERT INTO capsule_slots AS s (capsule_id, at, revision, outcome, run_id, lateness_seconds)
          SELECT ${capsuleId}, * FROM unnest(
            ${slots.map((s) => s.at.toISOString())}::timestamptz[], ${slots.map((s) => s.revision)}::int[],
            ${slots.map((s) => s.outcome)}::text[], ${slots.map((s) => s.runId)}::bigint[],
            ${slots.map((s) => s.latenessSeconds)}::int[])
          ON CONFLICT (capsule_id, at) DO UPDATE SET
            revision = EXCLUDED.revision, outcome = EXCLUDED.outcome, run_id = EXCLUDED.run_id,
            lateness_seconds = EXCLUDED.lateness_seconds
          WHERE (s.revision, s.outcome, s.run_id, s.lateness_seconds)
                IS DISTINCT FROM (EXCLUDED.revision, EXCLUDED.outcome, EXCLUDED.run_id, EXCLUDED.lateness_seconds)`,
    );
  }

  /** Moves the mark on (and clears a stale start: the pass looked from there). */
  async advance(
    tx: Queries,
    capsuleId: number,
    mark: {
      closedUntil: Date | null;
      closeAfter: Date | null;
      seenRunAt: Date | null;
      settledUntil: Date | null;
      openRunAt: Date | null;
    },
  ): Promise<void> {
    await tx.rows(
      sql`UPDATE capsule_slot_marks SET closed_until = ${mark.closedUntil}, close_after = ${mark.closeAfter},
                 seen_run_at = ${mark.seenRunAt}, settled_until = ${mark.settledUntil}, open_run_at = ${mark.openRunAt},
                 stale_from = NULL, postponed_until = NULL
          WHERE capsule_id = ${capsuleId}`,
    );
  }

  /** Leaves a capsule the closer failed on alone until `at` (what made it due stays). */
  async postpone(capsuleId: number, at: Date): Promise<void> {
    await this.db.rows(
      sql`INSERT INTO capsule_slot_marks AS m (capsule_id, postponed_until) VALUES (${capsuleId}, ${at})
          ON CONFLICT (capsule_id) DO UPDATE SET postponed_until = EXCLUDED.postponed_until`,
    );
  }
}

/** Joins each capsule `c` to its latest run start (the all-time run rollup) as `a`. */
const LAST_RUN = sql`LEFT JOIN LATERAL (
  SELECT last_run_at FROM capsule_run_rollups
  WHERE capsule_id = c.id AND grain = 'all' AND bucket_start = '-infinity' LIMIT 1
) a ON true`;

/**
 * Whether capsule `c` (mark `m`, latest run `a`) has slots that may have settled: a schedule and
 * no mark yet (or a schedule again), a window that has ended, a run not yet seen that may settle
 * a slot, or a stale mark; not one postponed after a failure.
 */
function duePredicate(now: Date) {
  return sql`((m.capsule_id IS NULL AND c.schedule IS NOT NULL)
              OR m.close_after <= ${now}
              OR m.stale_from IS NOT NULL
              OR (m.capsule_id IS NOT NULL AND a.last_run_at > COALESCE(m.seen_run_at, '-infinity')
                  AND a.last_run_at >= COALESCE(m.settled_until, '-infinity'))
              OR (m.close_after IS NULL AND c.schedule IS NOT NULL))
             AND (m.postponed_until IS NULL OR m.postponed_until <= ${now})`;
}
