import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/database';
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
