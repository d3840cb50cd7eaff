import { DataSource } from 'typeorm';
import { FixedClock, loadConfig } from '@app/common';
import { buildDataSourceOptions, Database, windowStart } from '@app/database';
import { AnalyticsRepository } from '../../libs/analytics/src/analytics.repository';
import { WindowBaseKeeper } from '../../libs/runs/src/window-base-keeper';
import { WindowBasesRepository } from '../../libs/runs/src/window-bases.repository';
import { rollupDifferences, slotWindowBaseDifferences, windowBaseDifferences } from '../support/rollup-check';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * Windowed performance read from window bases (ADR 16) equals the same window summed from the
 * runs themselves, through late reports, finishes, moved starts, deletes, a boundary passing
 * before the keeper has made the new bases, and writers racing the keeper.
 */
describe('window bases', () => {
  const clock = new FixedClock(new Date('2026-12-02T10:20:00.000Z'));
  let db: TestDatabase;
  let ds: DataSource;
  let analytics: AnalyticsRepository;
  let keeper: WindowBaseKeeper;
  let ids: number[];

  const windows = ['24h', '7d', '30d'] as const;
  const OUTCOMES = ['on_time', 'late', 'missed', 'paused'];

  /** A window per capsule, computed from capsule_runs (the brute force). */
  async function bruteForce(window: (typeof windows)[number]) {
    const { since } = windowStart(window, clock.now());
    const rows: { slug: string; total: number; failed: number; sum: number; histogram: number[] | null }[] =
      await ds.query(
        `SELECT c.slug, count(r.id)::int AS total, (count(r.id) FILTER (WHERE r.status IN ('error', 'timeout')))::int AS failed,
                COALESCE(sum(r.duration_ms), 0)::float8 AS sum,
                CASE WHEN count(r.duration_ms) > 0 THEN runtime_histogram_of(array_agg(r.duration_ms)) END AS histogram
         FROM capsules c LEFT JOIN capsule_runs r ON r.capsule_id = c.id AND r.started_at >= $1
         GROUP BY c.slug ORDER BY c.slug`,
        [since],
      );
    return rows.map((r) => ({ ...r, histogram: r.histogram?.some((n) => n > 0) ? r.histogram : null }));
  }

  /** A window's settled slots per capsule, counted from capsule_slots. */
  async function slotBruteForce(window: (typeof windows)[number]) {
    const { since } = windowStart(window, clock.now());
    return ds.query(
      `SELECT c.slug, ${OUTCOMES.map((o) => `(count(s.at) FILTER (WHERE s.outcome = '${o}'))::int AS ${o}`).join(', ')}
       FROM capsules c LEFT JOIN capsule_slots s ON s.capsule_id = c.id AND s.at >= $1
       GROUP BY c.slug ORDER BY c.slug`,
      [since],
    );
  }

  async function expectExact() {
    expect(await rollupDifferences(ds)).toEqual([]);
    expect(await slotWindowBaseDifferences(ds)).toEqual([]);
    for (const window of windows) {
      const { grain, since } = windowStart(window, clock.now());
      const read = await analytics.performance(grain, since);
      const expected = await bruteForce(window);
      expect({
        window,
        rows: read.map((r) => ({
          slug: r.capsule_slug,
          total: r.total_runs,
          failed: r.error_runs + r.timeout_runs,
          sum: r.runtime_sum_ms,
          histogram: r.runtime_histogram,
        })),
      }).toEqual({ window, rows: expected });
      expect({
        window,
        slots: read.map((r) => ({
          slug: r.capsule_slug,
          on_time: r.slots_on_time,
          late: r.slots_late,
          missed: r.slots_missed,
          paused: r.slots_paused,
        })),
      }).toEqual({ window, slots: await slotBruteForce(window) });
    }
  }

  /** Settled slots of capsule `id` at each offset (hours before now), with `outcome`. */
  async function slots(id: number, hoursAgo: number[], outcome = 'on_time') {
    await ds.query(
      `INSERT INTO capsule_slots (capsule_id, at, revision, outcome)
       SELECT $1, $3::timestamptz - h * interval '1 hour', 0, $2 FROM unnest($4::float8[]) AS h
       ON CONFLICT (capsule_id, at) DO UPDATE SET outcome = EXCLUDED.outcome`,
      [id, outcome, clock.now(), hoursAgo],
    );
  }

  const bases = async (table = 'capsule_run_window_bases') =>
    (await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  /** Runs of capsule `id` starting at each offset (hours before now), lasting `seconds`. */
  async function runs(id: number, hoursAgo: number[], status = 'success', seconds = 30) {
    await ds.query(
      `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
       SELECT $1, 'cron', $2, s, CASE WHEN $2 = 'running' THEN NULL ELSE s + $3 * interval '1 second' END
       FROM unnest($4::float8[]) AS h, LATERAL (SELECT $5::timestamptz - h * interval '1 hour' AS s) x`,
      [id, status, seconds, hoursAgo, clock.now()],
    );
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await new DataSource(buildDataSourceOptions({ url: db.url, poolSize: 4 })).initialize();
    const database = new Database(ds);
    analytics = new AnalyticsRepository(database);
    const config = { ...loadConfig({ NODE_ENV: 'test' }), windowBasesPollIntervalMs: 0 };
    keeper = new WindowBaseKeeper(new WindowBasesRepository(database), clock, config);
    const created: { id: number }[] = await ds.query(
      `INSERT INTO capsules (slug, title, kind, mode)
       SELECT 'w-' || i, 'W', 'digest', 'automated' FROM generate_series(1, 4) i RETURNING id`,
    );
    ids = created.map((r) => r.id);
    // Runs from 40 days ago to now: some before every window, some in each.
    await runs(ids[0], [960, 800, 700, 500, 200, 100, 30, 24, 23.5, 20, 5, 1, 0.2]);
    await runs(ids[1], [900, 400, 160, 50, 10], 'error', 300);
    await runs(ids[1], [22, 3], 'timeout', 3600);
    await runs(ids[2], [2], 'running');
    // ids[3]: no runs at all. Settled slots of two capsules, in and before every window.
    await slots(ids[0], [900, 700, 300, 100, 30, 22, 2]);
    await slots(ids[1], [800, 160, 20], 'missed');
    await slots(ids[1], [26, 1], 'late');
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('reads the windows exactly without bases (the rollup rows), then with them', async () => {
    await expectExact();
    expect(await keeper.pass()).toBeGreaterThan(0);
    // Three bases (24h, 7d, 30d) for each capsule with runs (or slots); none for the others.
    expect(await bases()).toBe(9);
    expect(await bases('capsule_slot_window_bases')).toBe(6);
    await expectExact();
  });

  it('stays exact through late reports, finishes, moved starts and deletes', async () => {
    await runs(ids[0], [26, 200, 800]); // before the 24h base, and the 7d and 30d ones
    await runs(ids[3], [900, 30]); // a first run, long ago: no base yet, then fallback
    await slots(ids[0], [800, 200, 25]); // slots settled late, before the bases
    await slots(ids[1], [20, 160], 'on_time'); // settled again, differently
    await ds.query(`DELETE FROM capsule_slots WHERE capsule_id = $1 AND at < now() - interval '750 hours'`, [ids[0]]);
    await expectExact();
    await ds.query(
      `UPDATE capsule_runs SET status = 'success', completed_at = started_at + interval '5 minutes' WHERE status = 'running'`,
    );
    await expectExact();
    await ds.query(
      `UPDATE capsule_runs SET started_at = started_at - interval '30 days' WHERE capsule_id = $1 AND status = 'timeout'`,
      [ids[1]],
    );
    await expectExact();
    await ds.query(`DELETE FROM capsule_runs WHERE capsule_id = $1 AND started_at < now() - interval '600 hours'`, [
      ids[0],
    ]);
    await expectExact();
  });

  it('stays exact when a boundary passes before the keeper, and after it has moved the bases', async () => {
    clock.set('2026-12-03T00:00:30.000Z'); // a new hour and a new day: the bases are a unit behind
    await runs(ids[0], [0.1, 25]);
    await expectExact();
    await keeper.pass();
    await expectExact();
    // Only the bases windows read are kept: the current starts (30d: 4 November, 7d: 27 November,
    // 24h: 01:00 on the 2nd) and the unit before each where one was made.
    const kept: { grain: string; bucket_start: Date }[] = await ds.query(
      `SELECT DISTINCT grain, bucket_start FROM capsule_run_window_bases ORDER BY 1, 2`,
    );
    expect(kept.map((k) => `${k.grain} ${k.bucket_start.toISOString()}`)).toEqual([
      'day 2026-11-03T00:00:00.000Z',
      'day 2026-11-04T00:00:00.000Z',
      'day 2026-11-26T00:00:00.000Z',
      'day 2026-11-27T00:00:00.000Z',
      'hour 2026-12-02T01:00:00.000Z',
    ]);
    clock.set('2026-12-03T03:10:00.000Z'); // hours pass: the 24h window reads the rollup rows back to an old base
    await expectExact();
  });

  it('stays exact when writers race the keeper', async () => {
    clock.set('2026-12-04T05:00:10.000Z');
    await Promise.all([
      keeper.pass(),
      ...ids.map((id, i) => runs(id, [30 + i, 0.01 * i, 700], i % 2 ? 'error' : 'success')),
      ...ids.map((id, i) => slots(id, [31 + i, 600], i % 2 ? 'missed' : 'late')),
      keeper.pass(),
    ]);
    expect(await windowBaseDifferences(ds)).toEqual([]);
    expect(await slotWindowBaseDifferences(ds)).toEqual([]);
    await expectExact();
  });
});
