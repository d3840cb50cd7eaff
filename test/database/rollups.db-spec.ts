import { DataSource } from 'typeorm';
import {
  bucketOf,
  buildDataSourceOptions,
  FAILED_RUN_STATUSES,
  FINAL_RUN_STATUSES,
  HISTOGRAM_BUCKETS,
  ROLLUP_COUNTERS,
  RUN_STATUSES,
  SUCCESSFUL_RUN_STATUSES,
} from '@app/database';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The rollups kept by the triggers always equal a full recomputation from
 * capsule_runs, whatever mix of writes reached the table.
 */
/** The vocabulary in SQL: a counter per status, and the status lists (the recomputation reads these, not copies). */
const statusIn = (statuses: readonly string[]) => `status IN (${statuses.map((x) => `'${x}'`).join(', ')})`;
const COUNTED = RUN_STATUSES.map(
  (status) => `(count(*) FILTER (WHERE status = '${status}'))::int AS ${ROLLUP_COUNTERS[status]}`,
).join(',\n               ');
const COUNTERS = RUN_STATUSES.map((status) => ROLLUP_COUNTERS[status]).join(', ');

describe('run rollups', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = new DataSource(buildDataSourceOptions({ url: db.url, poolSize: 4 }));
    await ds.initialize();
    await ds.query(`INSERT INTO capsules (slug, title, kind, mode)
                    SELECT 'c' || i, 'C' || i, 'k', 'm' FROM generate_series(1, 5) AS i`);
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  /** Rows that differ between the rollups and a recomputation (both directions); [] when equal. */
  async function differences(): Promise<unknown[]> {
    return ds.query(`
      WITH expected AS (
        SELECT r.capsule_id, g.grain,
               CASE g.grain WHEN 'hour' THEN date_trunc('hour', r.started_at, 'UTC')
                            WHEN 'day' THEN date_trunc('day', r.started_at, 'UTC')
                            ELSE '-infinity'::timestamptz END AS bucket_start,
               count(*)::int AS total_runs,
               ${COUNTED},
               count(r.duration_ms)::int AS runtime_count,
               COALESCE(sum(r.duration_ms), 0)::bigint AS runtime_sum_ms,
               runtime_histogram_of(array_agg(r.duration_ms)) AS runtime_histogram,
               CASE WHEN g.grain = 'all' THEN max(r.started_at) END AS last_run_at,
               CASE WHEN g.grain = 'all' THEN max(r.completed_at) FILTER (WHERE ${statusIn(SUCCESSFUL_RUN_STATUSES)}) END
                 AS last_success_at,
               CASE WHEN g.grain = 'all' THEN max(r.completed_at) FILTER (WHERE ${statusIn(FAILED_RUN_STATUSES)}) END
                 AS last_failure_at
        FROM capsule_runs r CROSS JOIN (VALUES ('hour'), ('day'), ('all')) AS g(grain)
        GROUP BY 1, 2, 3
      ),
      actual AS (
        SELECT capsule_id, grain, bucket_start, total_runs, ${COUNTERS}, runtime_count, runtime_sum_ms,
               COALESCE(runtime_histogram, array_fill(0, ARRAY[128])) AS runtime_histogram,
               last_run_at, last_success_at, last_failure_at
        FROM capsule_run_rollups WHERE total_runs <> 0
      )
      (SELECT 'missing' AS side, * FROM (SELECT * FROM expected EXCEPT SELECT * FROM actual) x)
      UNION ALL
      (SELECT 'extra' AS side, * FROM (SELECT * FROM actual EXCEPT SELECT * FROM expected) y)`);
  }

  /** Revision rollup rows that differ from a recomputation (both directions); [] when equal. */
  async function revisionDifferences(): Promise<unknown[]> {
    return ds.query(`
      WITH expected AS (
        SELECT capsule_id, COALESCE(capsule_revision, 0) AS revision, count(*)::int AS total_runs,
               ${COUNTED},
               count(duration_ms)::int AS runtime_count,
               COALESCE(sum(duration_ms), 0)::bigint AS runtime_sum_ms,
               runtime_histogram_of(array_agg(duration_ms)) AS runtime_histogram
        FROM capsule_runs GROUP BY 1, 2
      ),
      actual AS (
        SELECT capsule_id, revision, total_runs, ${COUNTERS}, runtime_count, runtime_sum_ms,
               COALESCE(runtime_histogram, array_fill(0, ARRAY[128])) AS runtime_histogram
        FROM capsule_revision_rollups WHERE total_runs <> 0
      )
      (SELECT 'missing' AS side, * FROM (SELECT * FROM expected EXCEPT SELECT * FROM actual) x)
      UNION ALL
      (SELECT 'extra' AS side, * FROM (SELECT * FROM actual EXCEPT SELECT * FROM expected) y)`);
  }

  async function zeroRowsAreEmpty(): Promise<void> {
    const rows: { n: number }[] = await ds.query(`
      SELECT count(*)::int AS n FROM capsule_run_rollups
      WHERE total_runs = 0 AND (${RUN_STATUSES.map((s) => `${ROLLUP_COUNTERS[s]} <> 0`).join(' OR ')}
        OR runtime_count <> 0 OR runtime_sum_ms <> 0
        OR EXISTS (SELECT 1 FROM unnest(runtime_histogram) h WHERE h <> 0))`);
    expect(rows[0].n).toBe(0);
  }

  /** A deterministic pseudo-random sequence (no flaky tests). */
  function lcg(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1664525 + 1013904223) % 2 ** 32;
      return state / 2 ** 32;
    };
  }

  it('agree with a recomputation after a random mix of inserts, finishes, updates and deletes', async () => {
    const random = lcg(7);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    for (let step = 0; step < 120; step++) {
      const action = random();
      const capsule = `c${1 + Math.floor(random() * 5)}`;
      const startedAt = new Date(Date.UTC(2026, 10, 20) + Math.floor(random() * 5 * 24 * 3600) * 1000).toISOString();
      if (action < 0.45) {
        const status = pick(RUN_STATUSES);
        const duration = Math.floor(random() ** 3 * 600_000);
        await ds.query(
          `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at, capsule_revision)
           SELECT id, 'a', $2, $3::timestamptz,
                  CASE WHEN $2 = 'running' THEN NULL ELSE $3::timestamptz + $4 * interval '1 millisecond' END, $5
           FROM capsules WHERE slug = $1`,
          [capsule, status, startedAt, duration, pick([1, 2, 3, null])],
        );
      } else if (action < 0.55) {
        // A bulk insert: one statement, many runs of several capsules.
        await ds.query(
          `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
           SELECT c.id, 'bulk', 'success', $1::timestamptz + i * interval '7 minutes',
                  $1::timestamptz + i * interval '7 minutes' + (i * 37) * interval '1 millisecond'
           FROM capsules c, generate_series(1, 20) AS i`,
          [startedAt],
        );
      } else if (action < 0.75) {
        // Finish a running run, as PATCH does.
        await ds.query(
          `UPDATE capsule_runs SET status = $1, completed_at = started_at + interval '42 seconds'
           WHERE id = (SELECT id FROM capsule_runs WHERE status = 'running' ORDER BY id LIMIT 1)`,
          [pick(FINAL_RUN_STATUSES)],
        );
      } else if (action < 0.85) {
        // A change no API makes: move a finished run in time and flip its outcome.
        await ds.query(
          `UPDATE capsule_runs SET started_at = started_at - interval '3 hours',
                  status = CASE status WHEN 'success' THEN 'error' ELSE 'success' END,
                  capsule_revision = COALESCE(capsule_revision, 0) % 3 + 1
           WHERE id = (SELECT id FROM capsule_runs WHERE status IN ('success', 'error') ORDER BY random() LIMIT 1)`,
        );
      } else {
        await ds.query(
          `DELETE FROM capsule_runs WHERE id IN (SELECT id FROM capsule_runs ORDER BY random() LIMIT $1)`,
          [1 + Math.floor(random() * 5)],
        );
      }
      if (step % 30 === 29) {
        expect(await differences()).toEqual([]);
        expect(await revisionDifferences()).toEqual([]);
      }
    }
    expect(await differences()).toEqual([]);
    expect(await revisionDifferences()).toEqual([]);
    await zeroRowsAreEmpty();
    const counted: { n: number }[] = await ds.query('SELECT count(*)::int AS n FROM capsule_runs');
    expect(counted[0].n).toBeGreaterThan(50);
  });

  it('agree when several writers report at once', async () => {
    await Promise.all(
      Array.from({ length: 8 }, (_, w) =>
        ds.query(
          `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
           SELECT c.id, 'w${w}', 'success', now() - i * interval '1 minute', now() - i * interval '1 minute' + interval '5 seconds'
           FROM capsules c, generate_series(1, 25) AS i`,
        ),
      ),
    );
    expect(await differences()).toEqual([]);
    expect(await revisionDifferences()).toEqual([]);
  });

  it('deleting a capsule removes its rollups with its runs', async () => {
    await ds.query(`DELETE FROM capsules WHERE slug = 'c1'`);
    expect(await differences()).toEqual([]);
    expect(await revisionDifferences()).toEqual([]);
    const left: { n: number }[] = await ds.query(
      `SELECT count(*)::int AS n FROM capsule_run_rollups r WHERE NOT EXISTS (SELECT 1 FROM capsules c WHERE c.id = r.capsule_id)`,
    );
    expect(left[0].n).toBe(0);
  });

  it('the database buckets runtimes exactly like the service reads them', async () => {
    const values = [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 999, 1000, 1001, 2 ** 20, 3_600_000, 2 ** 31, 2 ** 40];
    for (let ms = 1; ms < 5000; ms += 13) values.push(ms);
    const rows: { ms: string; bucket: number }[] = await ds.query(
      'SELECT ms::text, runtime_bucket(ms) AS bucket FROM unnest($1::bigint[]) AS ms',
      [values],
    );
    expect(rows.map((r) => r.bucket)).toEqual(values.map((v) => bucketOf(v)));
    // The triggers' histogram builder spells the formula again (inline, for speed): the same buckets.
    const [built] = await ds.query<{ histogram: number[] }[]>(
      'SELECT runtime_histogram_of($1::bigint[]) AS histogram',
      [values],
    );
    const expected = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
    for (const v of values) expected[bucketOf(v)]++;
    expect(built.histogram).toEqual(expected);
  });
});
