import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ROLLUP_COUNTERS, type RollupCounter, RUN_STATUSES, type RunStatus } from '@app/database';

/**
 * Histograms travel as comma-separated text: parsing 128-element int[] literals
 * for a thousand capsules costs more than the query itself.
 */
function withHistogram<T extends { runtime_histogram: unknown }>(rows: T[]): T[] {
  for (const row of rows) {
    const text = row.runtime_histogram;
    row.runtime_histogram = typeof text === 'string' && text.length > 0 ? text.split(',').map(Number) : null;
  }
  return rows;
}

/** Grain of the rollup rows a window or a chart bucket reads. */
export type RollupGrain = 'hour' | 'day' | 'all';

/** Counts and runtimes of a set of rollup rows: a counter per run status (ROLLUP_COUNTERS). */
export type RollupTotals = Record<RollupCounter, number> & {
  total_runs: number;
  runtime_count: number;
  runtime_sum_ms: number;
  runtime_histogram: number[] | null;
};

const COUNTERS = Object.values(ROLLUP_COUNTERS);

export interface CapsulePerformanceRow extends RollupTotals {
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

export interface ScheduledRow {
  capsule_id: number;
  slug: string;
  title: string;
  kind: string;
  schedule: string;
  timezone: string;
  entrypoint: string;
  grace_seconds: number;
  max_runtime_seconds: number | null;
  last_run_at: Date | null;
  last_finished_status: string | null;
  oldest_running_started_at: Date | null;
}

const TOTALS = `
  COALESCE(sum(r.total_runs), 0)::int AS total_runs,
  ${COUNTERS.map((c) => `COALESCE(sum(r.${c}), 0)::int AS ${c},`).join('\n  ')}
  COALESCE(sum(r.runtime_count), 0)::int AS runtime_count,
  COALESCE(sum(r.runtime_sum_ms), 0)::float8 AS runtime_sum_ms,
  array_to_string(int_array_sum(r.runtime_histogram), ',') AS runtime_histogram`;

/**
 * Joins each capsule `c` to its all-time rollup row as `a`. The LIMIT keeps it a
 * per-capsule primary-key lookup: flattened into a join, the planner misjudges
 * grain = 'all' AND bucket_start = '-infinity' and rescans every 'all' row per capsule.
 */
const ALL_TIME_ROW = `LEFT JOIN LATERAL (
  SELECT * FROM capsule_run_rollups
  WHERE capsule_id = c.id AND grain = 'all' AND bucket_start = '-infinity'
  LIMIT 1
) a ON true`;

/**
 * Reads the rollups kept by the capsule_runs triggers (never the runs
 * themselves, except the few rows of "today" per capsule); owns no writes.
 */
@Injectable()
export class AnalyticsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One row per capsule (also those without runs): rollups of `grain` from `since` on. */
  performance(grain: RollupGrain, since: Date | null, kind?: string): Promise<CapsulePerformanceRow[]> {
    if (grain === 'all') return this.performanceAllTime(kind);
    const params: unknown[] = [grain, since ?? '-infinity'];
    if (kind !== undefined) params.push(kind);
    // LATERAL: one index range scan of the rollups per capsule, whatever the table's size.
    return this.rows(
      `SELECT c.slug AS capsule_slug, c.title AS capsule_title, c.kind, w.*,
              a.last_run_at, a.last_success_at, a.last_failure_at
       FROM capsules c
       CROSS JOIN LATERAL (
         SELECT ${TOTALS} FROM capsule_run_rollups r
         WHERE r.capsule_id = c.id AND r.grain = $1 AND r.bucket_start >= $2
       ) w
       ${ALL_TIME_ROW}
       ${kind !== undefined ? 'WHERE c.kind = $3' : ''}
       ORDER BY c.slug`,
      params,
    );
  }

  /** All time: the one 'all' row of each capsule, no aggregation. */
  private performanceAllTime(kind?: string): Promise<CapsulePerformanceRow[]> {
    return this.rows(
      `SELECT c.slug AS capsule_slug, c.title AS capsule_title, c.kind,
              COALESCE(a.total_runs, 0) AS total_runs,
              ${COUNTERS.map((c) => `COALESCE(a.${c}, 0) AS ${c}`).join(', ')},
              COALESCE(a.runtime_count, 0) AS runtime_count, COALESCE(a.runtime_sum_ms, 0)::float8 AS runtime_sum_ms,
              array_to_string(a.runtime_histogram, ',') AS runtime_histogram,
              a.last_run_at, a.last_success_at, a.last_failure_at
       FROM capsules c
       ${ALL_TIME_ROW}
       ${kind !== undefined ? 'WHERE c.kind = $1' : ''}
       ORDER BY c.slug`,
      kind !== undefined ? [kind] : [],
    );
  }

  /** The rollup rows of one capsule at `grain`, from `since` on (only buckets that have runs). */
  buckets(capsuleId: number, grain: 'hour' | 'day', since: Date | null): Promise<BucketRow[]> {
    return this.rows(
      `SELECT r.bucket_start, ${TOTALS}
       FROM capsule_run_rollups r
       WHERE r.capsule_id = $1 AND r.grain = $2 AND r.bucket_start >= $3
       GROUP BY r.bucket_start ORDER BY r.bucket_start`,
      [capsuleId, grain, since ?? '-infinity'],
    );
  }

  private async rows<T extends { runtime_histogram: unknown }>(sql: string, params: unknown[]): Promise<T[]> {
    return withHistogram(await this.db.query<T[]>(sql, params));
  }

  /** Runs in the ledger by status, from the all-time rollups (one row per capsule, never the runs). */
  async runTotalsByStatus(): Promise<Record<RunStatus, number>> {
    const [row] = await this.db.query<Record<RunStatus, number>[]>(
      `SELECT ${RUN_STATUSES.map((s) => `coalesce(sum(${ROLLUP_COUNTERS[s]}), 0)::float8 AS ${s}`).join(', ')}
       FROM capsule_run_rollups WHERE grain = 'all'`,
    );
    return Object.fromEntries(RUN_STATUSES.map((s) => [s, row[s]])) as Record<RunStatus, number>;
  }

  /** Active capsules with a schedule, with what their state needs. */
  scheduled(): Promise<ScheduledRow[]> {
    return this.db.query(
      `SELECT c.id AS capsule_id, c.slug, c.title, c.kind, c.schedule, c.timezone, c.entrypoint, c.grace_seconds,
              c.max_runtime_seconds, s.last_run_at, s.last_finished_status, s.oldest_running_started_at
       FROM capsules c JOIN capsule_run_summary s ON s.capsule_id = c.id
       WHERE c.status = 'active' AND c.schedule IS NOT NULL
       ORDER BY c.slug`,
    );
  }

  /** Archived capsules that keep a schedule: their schedule is paused. */
  async countPausedSchedules(): Promise<number> {
    const [row] = await this.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM capsules WHERE status = 'archived' AND schedule IS NOT NULL`,
    );
    return row.n;
  }

  /**
   * Runs started in [since, until] per capsule: an index range per capsule,
   * so its cost is that of one day of runs, not of the history.
   */
  async countStartedBetween(windows: { capsuleId: number; since: Date }[], until: Date): Promise<Map<number, number>> {
    if (windows.length === 0) return new Map();
    const rows: { capsule_id: number; n: number }[] = await this.db.query(
      `SELECT w.capsule_id, (SELECT count(*)::int FROM capsule_runs r
                             WHERE r.capsule_id = w.capsule_id AND r.started_at >= w.since AND r.started_at <= $3) AS n
       FROM unnest($1::int[], $2::timestamptz[]) AS w(capsule_id, since)`,
      [windows.map((w) => w.capsuleId), windows.map((w) => w.since), until],
    );
    return new Map(rows.map((r) => [r.capsule_id, r.n]));
  }
}
