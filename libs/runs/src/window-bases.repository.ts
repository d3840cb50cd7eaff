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

/** A rollup table and the window bases kept beside it. */
interface Ledger {
  rollups: string;
  bases: string;
  /** The additive columns, and how the base's histogram (if any) is the all-time one less the rest. */
  columns: string[];
  histogram: boolean;
}

/** The window bases of runs (`performance` counts and runtimes) and of settled slots (its uptime). */
export const WINDOW_BASE_LEDGERS = {
  runs: {
    rollups: 'capsule_run_rollups',
    bases: 'capsule_run_window_bases',
    columns: [
      'total_runs',
      'running_runs',
      'successful_runs',
      'error_runs',
      'timeout_runs',
      'cancelled_runs',
      'runtime_count',
      'runtime_sum_ms',
    ],
    histogram: true,
  },
  slots: {
    rollups: 'capsule_slot_rollups',
    bases: 'capsule_slot_window_bases',
    columns: ['on_time', 'late', 'missed', 'paused'],
    histogram: false,
  },
} satisfies Record<string, Ledger>;

export type WindowBaseLedger = keyof typeof WINDOW_BASE_LEDGERS;

/**
 * The window bases (ADR 16): the totals of a capsule's runs, or settled slots, before an instant.
 * Written here by the keeper (creating and dropping bases); the writers' triggers keep them true.
 */
@Injectable()
export class WindowBasesRepository {
  constructor(private readonly db: Database) {}

  /** Capsules with rows in `ledger` that lack one of its bases at `instants` (capsule order, at most `limit`). */
  async lacking(ledger: WindowBaseLedger, instants: WindowBaseInstant[], limit: number): Promise<number[]> {
    const { rollups, bases } = WINDOW_BASE_LEDGERS[ledger];
    const rows = await this.db.rows<{ capsule_id: number }>(
      sql`SELECT DISTINCT a.capsule_id FROM ${sql.raw(rollups)} a CROSS JOIN ${wanted(instants)}
          WHERE a.grain = 'all' AND a.bucket_start = '-infinity'
            AND NOT EXISTS (SELECT 1 FROM ${sql.raw(bases)} b
                            WHERE b.capsule_id = a.capsule_id AND b.grain = w.grain AND b.bucket_start = w.at)
          ORDER BY a.capsule_id LIMIT ${limit}`,
    );
    return rows.map((r) => r.capsule_id);
  }

  /**
   * Gives the capsules their bases at `instants` in `ledger` (the all-time row less the rollup rows
   * from the instant on) and drops the ones no window reads. Under the all-time rows' locks, taken
   * in the writers' order: a writer of these capsules commits before this reads, or waits and then
   * moves the new bases itself. One ledger per transaction: no lock of one is held waiting for the
   * other's.
   */
  give(ledger: WindowBaseLedger, ids: number[], instants: WindowBaseInstant[]): Promise<void> {
    const { rollups, bases, columns, histogram } = WINDOW_BASE_LEDGERS[ledger];
    const kept = (grain: 'hour' | 'day') =>
      instants.filter((i) => i.grain === grain).flatMap((i) => i.keep.map((d) => d.toISOString()));
    const names = [...columns, ...(histogram ? ['runtime_histogram'] : [])];
    const values = [
      ...columns.map((c) => `a.${c} - f.${c}`),
      ...(histogram ? ['int_array_sub(a.runtime_histogram, f.runtime_histogram)'] : []),
    ];
    const sums = [
      ...columns.map((c) => `COALESCE(sum(r.${c}), 0) AS ${c}`),
      ...(histogram ? ['int_array_sum(r.runtime_histogram) AS runtime_histogram'] : []),
    ];
    return this.db.transaction(async (tx) => {
      await tx.rows(
        sql`SELECT 1 FROM ${sql.raw(rollups)} WHERE grain = 'all' AND bucket_start = '-infinity'
              AND capsule_id = ANY(${ids}::int[]) ORDER BY capsule_id FOR UPDATE`,
      );
      await tx.rows(
        sql`DELETE FROM ${sql.raw(bases)}
            WHERE capsule_id = ANY(${ids}::int[])
              AND NOT (grain = 'hour' AND bucket_start = ANY(${kept('hour')}::timestamptz[]))
              AND NOT (grain = 'day' AND bucket_start = ANY(${kept('day')}::timestamptz[]))`,
      );
      await tx.rows(
        sql`INSERT INTO ${sql.raw(bases)} (capsule_id, grain, bucket_start, ${sql.raw(names.join(', '))})
            SELECT a.capsule_id, w.grain, w.at, ${sql.raw(values.join(', '))}
            FROM ${sql.raw(rollups)} a CROSS JOIN ${wanted(instants)}
            CROSS JOIN LATERAL (
              SELECT ${sql.raw(sums.join(', '))} FROM ${sql.raw(rollups)} r
              WHERE r.capsule_id = a.capsule_id AND r.grain = w.grain AND r.bucket_start >= w.at
            ) f
            WHERE a.grain = 'all' AND a.bucket_start = '-infinity' AND a.capsule_id = ANY(${ids}::int[])
            ON CONFLICT (capsule_id, grain, bucket_start) DO NOTHING`,
      );
    });
  }
}
