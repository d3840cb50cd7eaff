import type { DataSource } from 'typeorm';
import { ROLLUP_COUNTERS, RUN_STATUSES } from '@app/database';

const COUNTED = RUN_STATUSES.map(
  (status) => `(count(*) FILTER (WHERE r.status = '${status}'))::int AS ${ROLLUP_COUNTERS[status]}`,
).join(', ');
const COUNTERS = RUN_STATUSES.map((status) => ROLLUP_COUNTERS[status]).join(', ');

/**
 * Rollup rows (run rollups at every grain, and revision rollups) that differ from the same sums
 * computed from capsule_runs, both directions, histograms included; [] when they agree.
 */
export async function rollupDifferences(dataSource: DataSource): Promise<unknown[]> {
  return [...(await rollupRowDifferences(dataSource)), ...(await windowBaseDifferences(dataSource))];
}

/** Slot window bases that differ from the counts of their capsule's slots before their instant. */
export function slotWindowBaseDifferences(dataSource: DataSource): Promise<unknown[]> {
  const outcomes = ['on_time', 'late', 'missed', 'paused'];
  return dataSource.query(`
    SELECT b.*, e.* FROM capsule_slot_window_bases b
    CROSS JOIN LATERAL (
      SELECT ${outcomes.map((o) => `(count(*) FILTER (WHERE s.outcome = '${o}'))::int AS expected_${o}`).join(', ')}
      FROM capsule_slots s WHERE s.capsule_id = b.capsule_id AND s.at < b.bucket_start
    ) e
    WHERE (${outcomes.map((o) => `b.${o}`).join(', ')}) IS DISTINCT FROM (${outcomes.map((o) => `e.expected_${o}`).join(', ')})
  `);
}

function rollupRowDifferences(dataSource: DataSource): Promise<unknown[]> {
  return dataSource.query(`
    WITH expected AS (
      SELECT r.capsule_id, g.grain, rollup_bucket(g.grain, r.started_at) AS bucket_start,
             count(*)::int AS total_runs, ${COUNTED},
             count(r.duration_ms)::int AS runtime_count, COALESCE(sum(r.duration_ms), 0)::bigint AS runtime_sum_ms,
             runtime_histogram_of(array_agg(r.duration_ms)) AS runtime_histogram
      FROM capsule_runs r CROSS JOIN (VALUES ('hour'), ('day'), ('all')) AS g(grain)
      GROUP BY 1, 2, 3
      UNION ALL
      SELECT r.capsule_id, 'revision ' || COALESCE(r.capsule_revision, 0), '-infinity',
             count(*)::int, ${COUNTED},
             count(r.duration_ms)::int, COALESCE(sum(r.duration_ms), 0)::bigint,
             runtime_histogram_of(array_agg(r.duration_ms))
      FROM capsule_runs r GROUP BY r.capsule_id, r.capsule_revision
    ), actual AS (
      SELECT capsule_id, grain, bucket_start, total_runs, ${COUNTERS}, runtime_count, runtime_sum_ms,
             COALESCE(runtime_histogram, array_fill(0, ARRAY[128])) AS runtime_histogram
      FROM capsule_run_rollups WHERE total_runs <> 0
      UNION ALL
      SELECT capsule_id, 'revision ' || revision, '-infinity', total_runs, ${COUNTERS}, runtime_count, runtime_sum_ms,
             COALESCE(runtime_histogram, array_fill(0, ARRAY[128]))
      FROM capsule_revision_rollups WHERE total_runs <> 0
    )
    SELECT 'missing' AS side, * FROM (SELECT * FROM expected EXCEPT SELECT * FROM actual) m
    UNION ALL
    SELECT 'extra' AS side, * FROM (SELECT * FROM actual EXCEPT SELECT * FROM expected) x
  `);
}

/**
 * Window bases (ADR 16) that differ from the totals of their capsule's runs started before their
 * instant, recomputed from capsule_runs; [] when they agree.
 */
export function windowBaseDifferences(dataSource: DataSource): Promise<unknown[]> {
  const zeros = 'array_fill(0, ARRAY[128])';
  return dataSource.query(`
    SELECT b.capsule_id, b.grain, b.bucket_start,
           (b.total_runs, ${COUNTERS.split(', ')
             .map((c) => `b.${c}`)
             .join(', ')}, b.runtime_count, b.runtime_sum_ms,
            COALESCE(b.runtime_histogram, ${zeros}))::text AS stored,
           (e.total_runs, ${COUNTERS.split(', ')
             .map((c) => `e.${c}`)
             .join(', ')}, e.runtime_count, e.runtime_sum_ms,
            e.runtime_histogram)::text AS expected
    FROM capsule_run_window_bases b
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS total_runs, ${COUNTED},
             count(r.duration_ms)::int AS runtime_count, COALESCE(sum(r.duration_ms), 0)::bigint AS runtime_sum_ms,
             CASE WHEN count(r.duration_ms) > 0 THEN runtime_histogram_of(array_agg(r.duration_ms)) ELSE ${zeros} END
               AS runtime_histogram
      FROM capsule_runs r WHERE r.capsule_id = b.capsule_id AND r.started_at < b.bucket_start
    ) e
    WHERE (b.total_runs, ${COUNTERS.split(', ')
      .map((c) => `b.${c}`)
      .join(', ')}, b.runtime_count, b.runtime_sum_ms,
           COALESCE(b.runtime_histogram, ${zeros}))
          IS DISTINCT FROM
          (e.total_runs, ${COUNTERS.split(', ')
            .map((c) => `e.${c}`)
            .join(', ')}, e.runtime_count, e.runtime_sum_ms,
           e.runtime_histogram)
  `);
}
