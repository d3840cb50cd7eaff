import { Injectable } from '@nestjs/common';
import {
  Database,
  ROLLUP_COUNTERS,
  type RollupCounter,
  type RollupGrain,
  RUN_STATUSES,
  type RunStatus,
  sql,
  type Sql,
} from '@app/database';

/**
 * Histograms travel as their text (`{0,3,1,…}`, `::text`: half the cost of array_to_string in
 * the server) and are split here: the driver's int[] parser costs more than the query itself.
 */
function histogramOf(text: unknown): number[] | null {
  return typeof text === 'string' && text.length > 2 ? text.slice(1, -1).split(',').map(Number) : null;
}

function withHistogram<T extends { runtime_histogram: unknown }>(rows: T[]): T[] {
  for (const row of rows) row.runtime_histogram = histogramOf(row.runtime_histogram);
  return rows;
}

/** Counts and runtimes of a set of rollup rows: a counter per run status (ROLLUP_COUNTERS). */
export type RollupTotals = Record<RollupCounter, number> & {
  total_runs: number;
  runtime_count: number;
  runtime_sum_ms: number;
  runtime_histogram: number[] | null;
};

const COUNTERS = Object.values(ROLLUP_COUNTERS);
/** The additive columns of a rollup row or a window base. */
const WINDOW_COUNTERS = ['total_runs', ...COUNTERS, 'runtime_count', 'runtime_sum_ms'];

/** The parts of the ledger with a change counter: capsules and versions, runs, settled slots. */
export type LedgerPart = 'registry' | 'runs' | 'slots';

/** A windowed row as read: counters already combined, histograms still as text. */
type WindowedRow = Omit<CapsulePerformanceRow, 'runtime_histogram'> & {
  has_base: boolean;
  all_histogram: string | null;
  base_histogram: string | null;
  gap_histogram: string | null;
  direct_histogram: string | null;
};

/** `from` less each of `less` (element-wise; null counts nothing), or null when nothing is left. */
function difference(from: number[] | null, less: (number[] | null)[]): number[] | null {
  if (!from) return null;
  for (const h of less) if (h) for (let i = 0; i < h.length; i++) from[i] -= h[i];
  return from.some((n) => n !== 0) ? from : null;
}

/** How the capsule's settled slots ended (the slot rollups kept by the slot closer). */
export interface SlotTotals {
  slots_on_time: number;
  slots_late: number;
  slots_missed: number;
  slots_paused: number;
}

export interface CapsulePerformanceRow extends RollupTotals, SlotTotals {
  capsule_slug: string;
  capsule_title: string;
  kind: string;
  last_run_at: Date | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
}

export interface BucketRow extends RollupTotals {
  bucket_start: Date;
}

/** A capsule's runs of one definition revision, with the version that revision set. */
export interface RevisionRow extends RollupTotals {
  revision: number;
  /** The definition's `version` string (null for revision 0: runs before revisions were kept). */
  version: string | null;
  /** When the revision became current (null for revision 0). */
  became_current_at: Date | null;
}

const TOTALS = sql.raw(`
  COALESCE(sum(r.total_runs), 0)::int AS total_runs,
  ${COUNTERS.map((c) => `COALESCE(sum(r.${c}), 0)::int AS ${c},`).join('\n  ')}
  COALESCE(sum(r.runtime_count), 0)::int AS runtime_count,
  COALESCE(sum(r.runtime_sum_ms), 0)::float8 AS runtime_sum_ms,
  int_array_sum(r.runtime_histogram)::text AS runtime_histogram`);

/**
 * Joins each capsule `c` to its all-time rollup row as `a`. The LIMIT keeps it a
 * per-capsule primary-key lookup: flattened into a join, the planner misjudges
 * grain = 'all' AND bucket_start = '-infinity' and rescans every 'all' row per capsule.
 */
const ALL_TIME_ROW = sql`LEFT JOIN LATERAL (
  SELECT * FROM capsule_run_rollups
  WHERE capsule_id = c.id AND grain = 'all' AND bucket_start = '-infinity'
  LIMIT 1
) a ON true`;

const SLOT_COLUMNS = sql.raw(
  'COALESCE(u.on_time, 0)::int AS slots_on_time, COALESCE(u.late, 0)::int AS slots_late, ' +
    'COALESCE(u.missed, 0)::int AS slots_missed, COALESCE(u.paused, 0)::int AS slots_paused',
);

/** Joins each capsule `c` to its all-time slot rollup row as `u` (a key lookup, as ALL_TIME_ROW). */
const ALL_TIME_SLOTS = sql`LEFT JOIN LATERAL (
  SELECT * FROM capsule_slot_rollups
  WHERE capsule_id = c.id AND grain = 'all' AND bucket_start = '-infinity'
  LIMIT 1
) u ON true`;

const OUTCOMES = ['on_time', 'late', 'missed', 'paused'];

/**
 * Joins each capsule `c` to its settled slots of the window from `since` on, as `u`, read as its
 * runs are (ADR 16): the all-time slot row less the latest slot base at or before `since` less the
 * slot rollup rows in between; without a base, the slot rollup rows from `since` on.
 */
function slotWindow(grain: RollupGrain, since: Date): Sql {
  const sums = sql.raw(OUTCOMES.map((o) => `sum(s.${o}) AS ${o}`).join(', '));
  const combined = sql.raw(
    OUTCOMES.map(
      (o) => `CASE WHEN ub.capsule_id IS NULL THEN ud.${o} ELSE ua.${o} - ub.${o} - COALESCE(ug.${o}, 0) END AS ${o}`,
    ).join(', '),
  );
  return sql`LEFT JOIN LATERAL (
    SELECT * FROM capsule_slot_rollups
    WHERE capsule_id = c.id AND grain = 'all' AND bucket_start = '-infinity' LIMIT 1
  ) ua ON true
  LEFT JOIN LATERAL (
    SELECT * FROM capsule_slot_window_bases x
    WHERE x.capsule_id = c.id AND x.grain = ${grain} AND x.bucket_start <= ${since}
    ORDER BY x.bucket_start DESC LIMIT 1
  ) ub ON true
  CROSS JOIN LATERAL (
    SELECT ${sums} FROM capsule_slot_rollups s
    WHERE ub.capsule_id IS NOT NULL AND s.capsule_id = c.id AND s.grain = ${grain}
      AND s.bucket_start >= ub.bucket_start AND s.bucket_start < ${since}
  ) ug
  CROSS JOIN LATERAL (
    SELECT ${sums} FROM capsule_slot_rollups s
    WHERE ub.capsule_id IS NULL AND s.capsule_id = c.id AND s.grain = ${grain} AND s.bucket_start >= ${since}
  ) ud
  CROSS JOIN LATERAL (SELECT ${combined}) u`;
}

/**
 * Reads the rollups kept by the capsule_runs triggers (never the runs
 * themselves, except the few rows of "today" per capsule); owns no writes.
 */
@Injectable()
export class AnalyticsRepository {
  constructor(private readonly db: Database) {}

  /**
   * The ledger change counters of `parts` (ADR 15): a version of what an answer reads, changed by
   * every committed write that changed a row of it. Read before the answer it labels.
   */
  async ledgerVersion(parts: readonly LedgerPart[]): Promise<string> {
    const [row] = await this.db.rows<{ version: string }>(
      sql`SELECT sum(changes)::text AS version FROM ledger_changes WHERE part = ANY(${parts}::text[])`,
    );
    return row.version;
  }

  /**
   * One row per capsule (also those without runs): its runs from `since` on. With a window base
   * (ADR 16: the totals before an instant `b` <= since), the all-time row less the base less the
   * rollup rows in [b, since): two rows per capsule, one more in the minute after a boundary.
   * Without one (no keeper, or a capsule since given none), the rollup rows from `since` on.
   */
  async performance(grain: RollupGrain, since: Date | null, kind?: string): Promise<CapsulePerformanceRow[]> {
    if (grain === 'all' || since === null) return this.performanceAllTime(kind);
    const windowed = sql.raw(
      [
        ...WINDOW_COUNTERS.map(
          (c) => `CASE WHEN b.capsule_id IS NULL THEN d.${c} ELSE a.${c} - b.${c} - g.${c} END AS ${c}`,
        ),
      ].join(',\n'),
    );
    // LATERAL: index lookups per capsule, whatever the size of the history.
    const rows = await this.db.rows<WindowedRow>(
      sql`SELECT c.slug AS capsule_slug, c.title AS capsule_title, c.kind, ${windowed},
                 b.capsule_id IS NOT NULL AS has_base,
                 a.runtime_histogram::text AS all_histogram,
                 b.runtime_histogram::text AS base_histogram,
                 g.runtime_histogram AS gap_histogram, d.runtime_histogram AS direct_histogram,
                 a.last_run_at, a.last_success_at, a.last_failure_at, ${SLOT_COLUMNS}
          FROM capsules c
          ${ALL_TIME_ROW}
          LEFT JOIN LATERAL (
            SELECT * FROM capsule_run_window_bases x
            WHERE x.capsule_id = c.id AND x.grain = ${grain} AND x.bucket_start <= ${since}
            ORDER BY x.bucket_start DESC LIMIT 1
          ) b ON true
          CROSS JOIN LATERAL (
            SELECT ${TOTALS} FROM capsule_run_rollups r
            WHERE b.capsule_id IS NOT NULL AND r.capsule_id = c.id AND r.grain = ${grain}
              AND r.bucket_start >= b.bucket_start AND r.bucket_start < ${since}
          ) g
          CROSS JOIN LATERAL (
            SELECT ${TOTALS} FROM capsule_run_rollups r
            WHERE b.capsule_id IS NULL AND r.capsule_id = c.id AND r.grain = ${grain} AND r.bucket_start >= ${since}
          ) d
          ${slotWindow(grain, since)}
          ${ofKind(kind)}
          ORDER BY c.slug`,
    );
    return rows.map(({ has_base, all_histogram, base_histogram, gap_histogram, direct_histogram, ...row }) => ({
      ...row,
      runtime_histogram: has_base
        ? difference(histogramOf(all_histogram), [histogramOf(base_histogram), histogramOf(gap_histogram)])
        : histogramOf(direct_histogram),
    }));
  }

  /**
   * All time, counting only the runs of each capsule's current definition revision (its revision
   * rollup row); the last_* instants stay all-time, as for every window.
   */
  performanceCurrentRevision(kind?: string): Promise<CapsulePerformanceRow[]> {
    const counters = sql.raw(COUNTERS.map((c) => `COALESCE(v.${c}, 0) AS ${c}`).join(', '));
    return this.rows(
      sql`SELECT c.slug AS capsule_slug, c.title AS capsule_title, c.kind,
                 COALESCE(v.total_runs, 0) AS total_runs, ${counters},
                 COALESCE(v.runtime_count, 0) AS runtime_count,
                 COALESCE(v.runtime_sum_ms, 0)::float8 AS runtime_sum_ms,
                 v.runtime_histogram::text AS runtime_histogram,
                 a.last_run_at, a.last_success_at, a.last_failure_at, ${SLOT_COLUMNS}
          FROM capsules c
          LEFT JOIN capsule_revision_rollups v ON v.capsule_id = c.id AND v.revision = c.revision
          LEFT JOIN capsule_slot_revision_rollups u ON u.capsule_id = c.id AND u.revision = c.revision
          ${ALL_TIME_ROW}
          ${ofKind(kind)}
          ORDER BY c.slug`,
    );
  }

  /** All time: the one 'all' row of each capsule, no aggregation. */
  private performanceAllTime(kind?: string): Promise<CapsulePerformanceRow[]> {
    const counters = sql.raw(COUNTERS.map((c) => `COALESCE(a.${c}, 0) AS ${c}`).join(', '));
    return this.rows(
      sql`SELECT c.slug AS capsule_slug, c.title AS capsule_title, c.kind,
                 COALESCE(a.total_runs, 0) AS total_runs, ${counters},
                 COALESCE(a.runtime_count, 0) AS runtime_count,
                 COALESCE(a.runtime_sum_ms, 0)::float8 AS runtime_sum_ms,
                 a.runtime_histogram::text AS runtime_histogram,
                 a.last_run_at, a.last_success_at, a.last_failure_at, ${SLOT_COLUMNS}
          FROM capsules c
          ${ALL_TIME_ROW}
          ${ALL_TIME_SLOTS}
          ${ofKind(kind)}
          ORDER BY c.slug`,
    );
  }

  /** The rollup rows of one capsule at `grain`, from `since` on (only buckets that have runs). */
  buckets(capsuleId: number, grain: 'hour' | 'day', since: Date | null): Promise<BucketRow[]> {
    return this.rows(
      sql`SELECT r.bucket_start, ${TOTALS}
          FROM capsule_run_rollups r
          WHERE r.capsule_id = ${capsuleId} AND r.grain = ${grain} AND r.bucket_start >= ${since ?? '-infinity'}
          GROUP BY r.bucket_start ORDER BY r.bucket_start`,
    );
  }

  /**
   * The capsule's revision rollups, one row per revision that has runs, with the version string
   * and the instant of that revision (from the version history), newest revision first.
   */
  revisions(capsuleId: number): Promise<RevisionRow[]> {
    return this.rows(
      sql`SELECT r.revision, v.definition ->> 'version' AS version, v.changed_at AS became_current_at, ${TOTALS}
          FROM capsule_revision_rollups r
          LEFT JOIN capsule_versions v ON v.capsule_id = r.capsule_id AND v.revision = r.revision
          WHERE r.capsule_id = ${capsuleId}
          GROUP BY r.revision, v.definition, v.changed_at
          HAVING sum(r.total_runs) > 0
          ORDER BY r.revision DESC`,
    );
  }

  private async rows<T extends { runtime_histogram: unknown }>(query: Sql): Promise<T[]> {
    return withHistogram(await this.db.rows<T>(query));
  }

  /** Runs in the ledger by status, from the all-time rollups (one row per capsule, never the runs). */
  async runTotalsByStatus(): Promise<Record<RunStatus, number>> {
    const sums = sql.raw(RUN_STATUSES.map((s) => `coalesce(sum(${ROLLUP_COUNTERS[s]}), 0)::float8 AS ${s}`).join(', '));
    const row = await this.db.first<Record<RunStatus, number>>(
      sql`SELECT ${sums} FROM capsule_run_rollups WHERE grain = 'all'`,
    );
    return Object.fromEntries(RUN_STATUSES.map((s) => [s, row?.[s] ?? 0])) as Record<RunStatus, number>;
  }
}

function ofKind(kind: string | undefined): Sql {
  return kind === undefined ? sql`` : sql`WHERE c.kind = ${kind}`;
}
