import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/database';
import { seedDatabase } from '../../apps/api/src/seed/seed-database';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * `npm run seed` on a fresh database, at a fixed "now": the ten sample
 * capsules, a history of runs that follows their schedules, nothing twice
 * when seeded again, and rollups (kept by the triggers) that agree.
 */
describe('seed', () => {
  const NOW = new Date('2026-01-20T10:17:42.000Z');
  const WINDOW_START = '2025-12-23T10:00:00.000Z';
  const WINDOW_END = '2026-01-20T10:00:00.000Z';
  let db: TestDatabase;
  let ds: DataSource;
  let firstRuns: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = new DataSource(buildDataSourceOptions({ url: db.url, poolSize: 2 }));
    await ds.initialize();
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  async function count(sql: string, params: unknown[] = []): Promise<number> {
    const rows = await ds.query<{ n: number }[]>(sql, params);
    return rows[0].n;
  }

  it('registers the ten sample capsules and their runs', async () => {
    const result = await seedDatabase(ds, { now: NOW });
    expect(result.window).toEqual({ start: new Date(WINDOW_START), end: new Date(WINDOW_END) });
    expect(result.capsules).toEqual({ inserted: 10, updated: 0, unchanged: 0 });
    expect(result.runs.inserted).toBe(result.runs.generated);
    expect(result.runs.alreadyPresent).toBe(0);
    firstRuns = result.runs.inserted;
    expect(await count('SELECT count(*)::int AS n FROM capsule_runs')).toBe(firstRuns);

    const capsules = await ds.query<{ slug: string; kind: string }[]>('SELECT slug, kind FROM capsules ORDER BY slug');
    expect(Object.fromEntries(capsules.map((c) => [c.slug, c.kind]))).toEqual({
      'affiliate-payouts': 'treasury',
      'dawn-dispatch': 'dispatch',
      'education-digest': 'education',
      'festival-capsule': 'ceremony',
      'great-year-ceremony': 'ceremony',
      'portfolio-rebalance': 'treasury',
      'signals-bulletin': 'dispatch',
      'signals-daily': 'engine',
      'sovereignty-metrics': 'engine',
      'treasury-reconciliation': 'treasury',
    });
    // The old smoke script's capsule, as it registers it.
    const [festival] = await ds.query<Record<string, unknown>[]>(
      "SELECT title, mode, version, entrypoint, schedule FROM capsules WHERE slug = 'festival-capsule'",
    );
    expect(festival).toEqual({
      title: 'Festival Capsule',
      mode: 'public',
      version: '1.0.0',
      entrypoint: 'capsules/festival.py',
      schedule: '0 12 * * 0',
    });
  });

  it('gives every scheduled capsule runs over the window, one per fire time at most', async () => {
    const rows = await ds.query<{ slug: string; schedule: string | null; runs: number; first: Date; last: Date }[]>(`
      SELECT c.slug, c.schedule, count(r.id)::int AS runs, min(r.started_at) AS first, max(r.started_at) AS last
      FROM capsules c LEFT JOIN capsule_runs r ON r.capsule_id = c.id GROUP BY c.id ORDER BY c.slug`);
    const runs = Object.fromEntries(rows.map((r) => [r.slug, r.runs]));
    for (const row of rows) expect(row.runs).toBeGreaterThan(0);
    // Hourly for 28 days (672 fire times), a few missed or still running at the end of the window.
    expect(runs['sovereignty-metrics']).toBeGreaterThan(640);
    expect(runs['sovereignty-metrics']).toBeLessThanOrEqual(672);
    expect(runs['treasury-reconciliation']).toBeLessThanOrEqual(28);
    expect(runs['treasury-reconciliation']).toBeGreaterThanOrEqual(25);
    expect(runs['festival-capsule']).toBeLessThanOrEqual(4); // Sundays at noon
    expect(runs['affiliate-payouts']).toBe(2); // the 1st and the 15th
    expect(runs['great-year-ceremony']).toBe(1);
    const [ceremony] = await ds.query<{ run_key: string; status: string }[]>(
      "SELECT r.run_key, r.status FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id WHERE c.slug = 'great-year-ceremony'",
    );
    expect(ceremony).toEqual({ run_key: 'seed:great-year-ceremony:2026-01-01T00:00:00.000Z', status: 'success' });

    // The archived capsule stopped running when it was paused (9 days before the end).
    const portfolio = rows.find((r) => r.slug === 'portfolio-rebalance')!;
    expect(portfolio.last.getTime()).toBeLessThan(Date.parse(WINDOW_END) - 9 * 86_400_000);

    // Scheduled runs start at or after their fire time (the instant in the run key).
    expect(
      await count(`SELECT count(*)::int AS n FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id
                   WHERE c.schedule IS NOT NULL AND r.started_at < substring(r.run_key from '^seed:[a-z0-9-]+:(.+)$')::timestamptz`),
    ).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM capsule_runs WHERE run_key NOT LIKE 'seed:%'")).toBe(0);
  });

  it('keeps every run inside the window and before now', async () => {
    const [bounds] = await ds.query<{ first: Date; last_start: Date; last_end: Date; running: number }[]>(`
      SELECT min(started_at) AS first, max(started_at) AS last_start, max(completed_at) AS last_end,
             (count(*) FILTER (WHERE status = 'running'))::int AS running
      FROM capsule_runs`);
    expect(bounds.first.getTime()).toBeGreaterThanOrEqual(Date.parse(WINDOW_START));
    expect(bounds.last_start.getTime()).toBeLessThanOrEqual(NOW.getTime());
    expect(bounds.last_end.getTime()).toBeLessThanOrEqual(Date.parse(WINDOW_END));
    expect(bounds.running).toBe(0);
  });

  it('has a realistic mix of outcomes, late starts, artifacts and messages', async () => {
    const statuses = await ds.query<{ status: string; n: number }[]>(
      'SELECT status, count(*)::int AS n FROM capsule_runs GROUP BY status',
    );
    const byStatus = Object.fromEntries(statuses.map((s) => [s.status, s.n]));
    expect(byStatus.error).toBeGreaterThan(0);
    expect(byStatus.timeout).toBeGreaterThan(0);
    expect(byStatus.success / firstRuns).toBeGreaterThan(0.85);
    expect(byStatus.success / firstRuns).toBeLessThan(0.99);

    // Late: started after the grace period of the capsule.
    const late = await count(`SELECT count(*)::int AS n FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id
      WHERE c.schedule IS NOT NULL
        AND r.started_at > substring(r.run_key from '^seed:[a-z0-9-]+:(.+)$')::timestamptz + make_interval(secs => c.grace_seconds)`);
    expect(late).toBeGreaterThan(0);
    expect(late / firstRuns).toBeLessThan(0.1);

    expect(
      await count(`SELECT count(*)::int AS n FROM capsule_runs WHERE status = 'success'
        AND (artifact_uri !~ '^(gs|s3)://' OR checksum !~ '^sha256:[0-9a-f]{64}$' OR exit_code <> 0)`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM capsule_runs WHERE status <> 'success'
        AND (message IS NULL OR exit_code = 0 OR artifact_uri IS NOT NULL)`),
    ).toBe(0);
    // Runtimes differ from capsule to capsule.
    const [spread] = await ds.query<{ shortest: number; longest: number }[]>(`
      SELECT min(avg_ms)::float8 AS shortest, max(avg_ms)::float8 AS longest FROM (
        SELECT avg(duration_ms) AS avg_ms FROM capsule_runs WHERE status = 'success' GROUP BY capsule_id) x`);
    expect(spread.longest / spread.shortest).toBeGreaterThan(10);
    // Manual runs are started by people.
    expect(
      await count(`SELECT count(*)::int AS n FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id
        WHERE c.slug = 'signals-bulletin' AND r.actor NOT IN ('amara.okafor', 'j.lindqvist', 'r.mehta')`),
    ).toBe(0);
  });

  it('leaves rollups that the triggers keep equal to the runs', async () => {
    const [totals] = await ds.query<{ rolled: number; runs: number; rolled_ok: number; ok: number }[]>(`
      SELECT (SELECT sum(total_runs)::int FROM capsule_run_rollups WHERE grain = 'all') AS rolled,
             (SELECT count(*)::int FROM capsule_runs) AS runs,
             (SELECT sum(successful_runs)::int FROM capsule_run_rollups WHERE grain = 'all') AS rolled_ok,
             (SELECT count(*)::int FROM capsule_runs WHERE status = 'success') AS ok`);
    expect(totals.rolled).toBe(totals.runs);
    expect(totals.rolled_ok).toBe(totals.ok);
    expect(
      await count(`SELECT count(*)::int AS n FROM capsule_run_rollups t
        WHERE t.grain = 'day' AND t.total_runs <> (SELECT count(*) FROM capsule_runs r
          WHERE r.capsule_id = t.capsule_id AND date_trunc('day', r.started_at, 'UTC') = t.bucket_start)`),
    ).toBe(0);
  });

  it('inserts nothing when seeded again with the same now', async () => {
    const versions = await count('SELECT count(*)::int AS n FROM capsule_versions');
    const [before] = await ds.query<{ updated_at: Date }[]>(
      "SELECT updated_at FROM capsules WHERE slug = 'dawn-dispatch'",
    );
    const again = await seedDatabase(ds, { now: NOW });
    expect(again.capsules).toEqual({ inserted: 0, updated: 0, unchanged: 10 });
    expect(again.runs).toEqual({ generated: firstRuns, inserted: 0, alreadyPresent: firstRuns });
    expect(await count('SELECT count(*)::int AS n FROM capsule_runs')).toBe(firstRuns);
    expect(await count('SELECT count(*)::int AS n FROM capsule_versions')).toBe(versions);
    expect(await count("SELECT sum(total_runs)::int AS n FROM capsule_run_rollups WHERE grain = 'all'")).toBe(
      firstRuns,
    );
    const [after] = await ds.query<{ updated_at: Date }[]>(
      "SELECT updated_at FROM capsules WHERE slug = 'dawn-dispatch'",
    );
    expect(after.updated_at).toEqual(before.updated_at);
  });

  it('a day later adds only the runs that became due, and restores an edited sample capsule', async () => {
    await ds.query("UPDATE capsules SET title = 'Renamed' WHERE slug = 'dawn-dispatch'");
    const later = await seedDatabase(ds, { now: new Date(NOW.getTime() + 86_400_000) });
    expect(later.capsules).toEqual({ inserted: 0, updated: 1, unchanged: 9 });
    expect(later.runs.inserted).toBeGreaterThan(24); // a day of hourly metrics, and the daily ones
    expect(later.runs.inserted).toBeLessThan(40);
    const total = await count('SELECT count(*)::int AS n FROM capsule_runs');
    expect(total).toBe(firstRuns + later.runs.inserted);
    expect(await count("SELECT sum(total_runs)::int AS n FROM capsule_run_rollups WHERE grain = 'all'")).toBe(total);
    expect(await count("SELECT count(*)::int AS n FROM capsules WHERE title = 'Dawn Dispatch'")).toBe(1);
    const [version] = await ds.query<{ changed_by: string }[]>(
      `SELECT v.changed_by FROM capsule_versions v JOIN capsules c ON c.id = v.capsule_id
       WHERE c.slug = 'dawn-dispatch' ORDER BY v.revision DESC LIMIT 1`,
    );
    expect(version.changed_by).toBe('seed');
  });
});
