import { Injectable } from '@nestjs/common';
import { Database, sql, windowStart } from '@app/database';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A base a window starts at, and the bases of its grain worth keeping. */
export interface WindowBaseInstant {
  grain: 'hour' | 'day';
  at: Date;
  /** This base and the one a unit before (read after a boundary, until the keeper has made the new one). */
  keep: Date[];
}

/** The instants the windows of `performance` start at `now` (`windowStart`, the readers' rule). */
export function windowBaseInstants(now: Date): WindowBaseInstant[] {
  return (['24h', '7d', '30d'] as const).map((window) => {
    const { grain, since } = windowStart(window, now);
    if (grain === 'all' || since === null) throw new Error(`window ${window} has no start`);
    const unit = grain === 'hour' ? HOUR_MS : DAY_MS;
    return { grain, at: since, keep: [since, new Date(since.getTime() - unit)] };
  });
}

/** The instants as a relation `w(grain, at)`. */
const wanted = (instants: WindowBaseInstant[]) =>
  sql`unnest(${instants.map((i) => i.grain)}::text[], ${instants.map((i) => i.at)}::timestamptz[]) AS w(grain, at)`;

/**
 * `capsule_run_window_bases` (ADR 16): the totals of a capsule's runs before an instant. Written
 * here by the keeper (creating and dropping bases); the writers' trigger keeps them true.
 */
@Injectable()
export class WindowBasesRepository {
  constructor(private readonly db: Database) {}

  /** Capsules with runs that lack one of the bases at `instants` (capsule order, at most `limit`). */
  async lacking(instants: WindowBaseInstant[], limit: number): Promise<number[]> {
    const rows = await this.db.rows<{ capsule_id: number }>(
      sql`SELECT DISTINCT a.capsule_id FROM capsule_run_rollups a CROSS JOIN ${wanted(instants)}
          WHERE a.grain = 'all' AND a.bucket_start = '-infinity'
            AND NOT EXISTS (SELECT 1 FROM capsule_run_window_bases b
                            WHERE b.capsule_id = a.capsule_id AND b.grain = w.grain AND b.bucket_start = w.at)
          ORDER BY a.capsule_id LIMIT ${limit}`,
    );
    return rows.map((r) => r.capsule_id);
  }

  /**
   * Gives the capsules their bases at `instants` (the all-time row less the rollup rows from the
   * instant on) and drops the ones no window reads. Under the all-time rows' locks, taken in the
   * writers' order: a run of these capsules commits before this reads, or waits and then moves
   * the new bases itself.
   */
  give(ids: number[], instants: WindowBaseInstant[]): Promise<void> {
    const kept = (grain: 'hour' | 'day') =>
      instants.filter((i) => i.grain === grain).flatMap((i) => i.keep.map((d) => d.toISOString()));
    return this.db.transaction(async (tx) => {
      await tx.rows(
        sql`SELECT 1 FROM capsule_run_rollups WHERE grain = 'all' AND bucket_start = '-infinity'
              AND capsule_id = ANY(${ids}::int[]) ORDER BY capsule_id FOR UPDATE`,
      );
      await tx.rows(
        sql`DELETE FROM capsule_run_window_bases
            WHERE capsule_id = ANY(${ids}::int[])
              AND NOT (grain = 'hour' AND bucket_start = ANY(${kept('hour')}::timestamptz[]))
              AND NOT (grain = 'day' AND bucket_start = ANY(${kept('day')}::timestamptz[]))`,
      );
      await tx.rows(
        sql`INSERT INTO capsule_run_window_bases
              (capsule_id, grain, bucket_start, total_runs, running_runs, successful_runs, error_runs, timeout_runs,
               cancelled_runs, runtime_count, runtime_sum_ms, runtime_histogram)
            SELECT a.capsule_id, w.grain, w.at,
                   a.total_runs - f.total_runs, a.running_runs - f.running_runs,
                   a.successful_runs - f.successful_runs, a.error_runs - f.error_runs,
                   a.timeout_runs - f.timeout_runs, a.cancelled_runs - f.cancelled_runs,
                   a.runtime_count - f.runtime_count, a.runtime_sum_ms - f.runtime_sum_ms,
                   int_array_sub(a.runtime_histogram, f.runtime_histogram)
            FROM capsule_run_rollups a CROSS JOIN ${wanted(instants)}
            CROSS JOIN LATERAL (
              SELECT COALESCE(sum(r.total_runs), 0) AS total_runs,
                     COALESCE(sum(r.running_runs), 0) AS running_runs,
                     COALESCE(sum(r.successful_runs), 0) AS successful_runs,
                     COALESCE(sum(r.error_runs), 0) AS error_runs,
                     COALESCE(sum(r.timeout_runs), 0) AS timeout_runs,
                     COALESCE(sum(r.cancelled_runs), 0) AS cancelled_runs,
                     COALESCE(sum(r.runtime_count), 0) AS runtime_count,
                     COALESCE(sum(r.runtime_sum_ms), 0) AS runtime_sum_ms,
                     int_array_sum(r.runtime_histogram) AS runtime_histogram
              FROM capsule_run_rollups r
              WHERE r.capsule_id = a.capsule_id AND r.grain = w.grain AND r.bucket_start >= w.at
            ) f
            WHERE a.grain = 'all' AND a.bucket_start = '-infinity' AND a.capsule_id = ANY(${ids}::int[])
            ON CONFLICT (capsule_id, grain, bucket_start) DO NOTHING`,
      );
    });
  }
}
