import { DataSource } from 'typeorm';
import { buildDataSourceOptions, FAILED_RUN_STATUSES, RUN_STATUSES } from '@app/database';
import { startOfLocalDay } from '@app/schedules';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

describe('analytics views', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = new DataSource(buildDataSourceOptions({ url: db.url, poolSize: 2 }));
    await ds.initialize();
    await ds.query(`
      INSERT INTO capsules (slug, title, kind, mode, schedule) VALUES
        ('dawn-dispatch', 'Dawn Dispatch', 'dispatch', 'automated', '0 6 * * *'),
        ('idle', 'Never ran', 'engine', 'manual', NULL)`);
    await ds.query(`
      INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
      SELECT id, 'cron', s.status, s.started_at::timestamptz, s.completed_at::timestamptz
      FROM capsules, (VALUES
        ('success', '2026-11-20T06:00:00Z', '2026-11-20T06:00:10Z'),
        ('success', '2026-11-21T06:00:00Z', '2026-11-21T06:00:20Z'),
        ('error',   '2026-11-22T06:00:00Z', '2026-11-22T06:00:30Z'),
        ('running', '2026-11-23T06:00:00Z', NULL)
      ) AS s(status, started_at, completed_at)
      WHERE slug = 'dawn-dispatch'`);
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('capsule_performance has every capsule, with numbers as numbers', async () => {
    const rows = await ds.query<Record<string, unknown>[]>('SELECT * FROM capsule_performance ORDER BY capsule_slug');
    expect(rows).toHaveLength(2);
    const [dawn, idle] = rows;
    expect(dawn).toMatchObject({
      capsule_slug: 'dawn-dispatch',
      capsule_title: 'Dawn Dispatch',
      kind: 'dispatch',
      total_runs: 4,
      successful_runs: 2,
      failed_runs: 1,
      avg_runtime_seconds: 20,
    });
    expect(dawn.success_rate).toBeCloseTo(2 / 3, 10);
    // The runtime histogram of the three finished runs (10 s, 20 s, 30 s): 128 buckets.
    const histogram = dawn.runtime_histogram as number[];
    expect(histogram).toHaveLength(128);
    expect(histogram.reduce((a, b) => a + b, 0)).toBe(3);
    expect(dawn.last_run_at).toEqual(new Date('2026-11-23T06:00:00Z'));
    expect(dawn.last_success_at).toEqual(new Date('2026-11-21T06:00:20Z'));
    expect(dawn.last_failure_at).toEqual(new Date('2026-11-22T06:00:30Z'));
    expect(idle).toMatchObject({
      capsule_slug: 'idle',
      total_runs: 0,
      successful_runs: 0,
      failed_runs: 0,
      success_rate: null,
      avg_runtime_seconds: null,
      runtime_histogram: null,
      last_run_at: null,
    });
  });

  it('scheduled_capsules lists active scheduled capsules with their latest runs', async () => {
    const rows = await ds.query<Record<string, unknown>[]>('SELECT * FROM scheduled_capsules');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      slug: 'dawn-dispatch',
      schedule: '0 6 * * *',
      timezone: 'UTC',
      last_run_at: new Date('2026-11-23T06:00:00Z'),
      last_run_status: 'running',
      last_finished_status: 'error',
      oldest_running_started_at: new Date('2026-11-23T06:00:00Z'),
    });
    expect(typeof rows[0].runs_today).toBe('number');
    expect(typeof rows[0].grace_seconds).toBe('number');
  });

  // The views are the reporting interface for SQL users: they mean what the API means.
  it('scheduled_capsules.runs_today counts the local day in the capsule time zone, as the API does', async () => {
    await ds.query(
      `INSERT INTO capsules (slug, title, kind, mode, schedule, timezone)
       VALUES ('kiritimati', 'K', 'digest', 'automated', '0 * * * *', 'Pacific/Kiritimati')`,
    );
    const [{ now }] = await ds.query<{ now: Date }[]>('SELECT now() AS now');
    const dayStart = startOfLocalDay(now, 'Pacific/Kiritimati');
    const starts = [-26 * 3600_000, -23 * 3600_000, -60_000, 0, 1000].map((d) => new Date(dayStart.getTime() + d));
    const past = starts.filter((t) => t <= now);
    await ds.query(
      `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
       SELECT c.id, 'cron', 'success', t, t FROM capsules c, unnest($1::timestamptz[]) AS t WHERE c.slug = 'kiritimati'`,
      [past],
    );
    const [row] = await ds.query<{ runs_today: number }[]>(
      `SELECT runs_today FROM scheduled_capsules WHERE slug = 'kiritimati'`,
    );
    expect(row.runs_today).toBe(past.filter((t) => t >= dayStart).length);
    await ds.query(`DELETE FROM capsules WHERE slug = 'kiritimati'`);
  });

  it("local_day_start() is the service's startOfLocalDay, DST gaps and odd offsets included", async () => {
    const zones = [
      'UTC',
      'America/New_York',
      'America/Santiago',
      'America/Havana',
      'Asia/Beirut',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'Pacific/Apia',
    ];
    const instants: Date[] = [];
    for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2027, 0, 1); t += 11 * 3600_000) instants.push(new Date(t));
    for (const zone of zones) {
      const rows = await ds.query<{ start: Date }[]>(
        'SELECT local_day_start(at, $2) AS start FROM unnest($1::timestamptz[]) WITH ORDINALITY AS u(at, n) ORDER BY n',
        [instants, zone],
      );
      const differing = instants
        .map((at, i) => [at.toISOString(), rows[i].start.toISOString(), startOfLocalDay(at, zone).toISOString()])
        .filter(([, sql, service]) => sql !== service);
      expect([zone, differing]).toEqual([zone, []]);
    }
  });

  it('capsule_performance counts as failures exactly FAILED_RUN_STATUSES', async () => {
    await ds.query(`INSERT INTO capsules (slug, title, kind, mode) VALUES ('every-status', 'E', 'k', 'm')`);
    await ds.query(
      `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
       SELECT c.id, 'test', s, now() - interval '1 minute', CASE WHEN s = 'running' THEN NULL ELSE now() END
       FROM capsules c, unnest($1::text[]) AS s WHERE c.slug = 'every-status'`,
      [RUN_STATUSES],
    );
    const [row] = await ds.query<{ failed_runs: number; successful_runs: number }[]>(
      `SELECT failed_runs, successful_runs FROM capsule_performance WHERE capsule_slug = 'every-status'`,
    );
    expect(row).toEqual({ failed_runs: FAILED_RUN_STATUSES.length, successful_runs: 1 });
    await ds.query(`DELETE FROM capsules WHERE slug = 'every-status'`);
  });

  it('derives duration_ms from the two instants', async () => {
    const rows = await ds.query<{ duration_ms: string | null }[]>(
      'SELECT duration_ms FROM capsule_runs ORDER BY started_at',
    );
    expect(rows.map((r) => (r.duration_ms === null ? null : Number(r.duration_ms)))).toEqual([
      10000,
      20000,
      30000,
      null,
    ]);
  });
});
