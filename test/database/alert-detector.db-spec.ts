import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FixedClock, loadConfig } from '@app/common';
import { buildDataSourceOptions, Database, sql } from '@app/database';
import { AlertDetector } from '../../libs/alerts/src/alert-detector';
import { AlertsRepository } from '../../libs/alerts/src/alerts.repository';
import { AlertsService } from '../../libs/alerts/src/alerts.service';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const DEADLINE = '2026-12-02T06:05:00.000Z';
const CAPSULES = 30;
const REPLICAS = 4;

/**
 * Detectors of replicas side by side (each with its own pool, as separate processes would
 * have) flip each capsule exactly once, and create one outbox row per flip and channel; a run
 * reported at the deadline is never overtaken by a false "missed".
 */
describe('alert detector', () => {
  const clock = new FixedClock(new Date('2026-12-02T07:00:00.000Z'));
  const config = { ...loadConfig({ NODE_ENV: 'test' }), alertsPollIntervalMs: 0 };
  let db: TestDatabase;
  let sources: DataSource[];
  let replicas: { service: AlertsService; detector: AlertDetector; alerts: AlertsRepository; database: Database }[];

  beforeAll(async () => {
    // The detector logs the capsule it fails on; not in the test output.
    Logger.overrideLogger(false);
    db = await createTestDatabase();
    sources = await Promise.all(
      Array.from({ length: REPLICAS }, async () =>
        new DataSource(buildDataSourceOptions({ url: db.url, poolSize: 4 })).initialize(),
      ),
    );
    replicas = sources.map((source) => {
      const database = new Database(source);
      const alerts = new AlertsRepository(database);
      const service = new AlertsService(alerts, database, clock, config);
      return { service, alerts, database, detector: new AlertDetector(service, alerts, clock, config) };
    });
    const [ds] = sources;
    await ds.query(`INSERT INTO capsules (slug, title, kind, mode, schedule, grace_seconds)
                    SELECT 'c' || i, 'C' || i, 'k', 'm', '0 6 * * *', 300 FROM generate_series(1, ${CAPSULES}) AS i`);
    await ds.query(`INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
                    SELECT id, 'cron', 'success', '2026-12-01T06:00:00Z', '2026-12-01T06:01:00Z' FROM capsules`);
    await ds.query(`INSERT INTO capsule_alerts (capsule_id, status, alert_after) SELECT id, 'up', $1 FROM capsules`, [
      DEADLINE,
    ]);
    await ds.query(`INSERT INTO alert_channels (name, type, target, secret)
                    VALUES ('a', 'webhook', 'http://127.0.0.1:9/a', 'whsec_AAAA'), ('b', 'slack', 'http://127.0.0.1:9/b', NULL)`);
  });

  afterAll(async () => {
    await Promise.all(sources.map((s) => s.destroy()));
    await db.drop();
  });

  it('replicas running passes at once flip each capsule once, at the computed instant', async () => {
    // Every replica runs three passes concurrently with every other.
    await Promise.all(replicas.flatMap((r) => [r.detector.pass(), r.detector.pass(), r.detector.pass()]));
    const [ds] = sources;
    const flips = await ds.query(
      `SELECT capsule_id, count(*)::int AS n, min(reason) AS reason, min(at) AS at FROM capsule_flips GROUP BY capsule_id`,
    );
    expect(flips).toHaveLength(CAPSULES);
    for (const flip of flips) {
      expect(flip).toMatchObject({ n: 1, reason: 'missed', at: new Date(DEADLINE) });
    }
    const [outbox] = await ds.query(
      `SELECT count(*)::int AS rows, count(DISTINCT (flip_id, channel_id))::int AS distinct_pairs FROM notifications`,
    );
    expect(outbox).toEqual({ rows: CAPSULES * 2, distinct_pairs: CAPSULES * 2 });
    const [left] = await ds.query(`SELECT count(*)::int AS n FROM capsule_alerts WHERE alert_after IS NOT NULL`);
    expect(left.n).toBe(0);
  });

  it('enqueueing a flip again adds no second row per channel', async () => {
    const [{ database, alerts }] = replicas;
    const [flip] = await sources[0].query(`SELECT f.id, c.id AS capsule_id, c.slug, c.kind, c.tags
                                           FROM capsule_flips f JOIN capsules c ON c.id = f.capsule_id LIMIT 1`);
    const again = await database.transaction((tx) =>
      alerts.enqueue(tx, flip.id, { capsule_id: flip.capsule_id, slug: flip.slug, kind: flip.kind, tags: [] }, 'x', {}),
    );
    expect(again).toBe(0);
  });

  it('a run reported at the deadline wins over a detector that reaches the capsule at the same time', async () => {
    const [reporter, detecting] = replicas;
    const [ds] = sources;
    const [capsule] = await ds.query(`INSERT INTO capsules (slug, title, kind, mode, schedule, grace_seconds)
                                      VALUES ('racer', 'Racer', 'k', 'm', '0 6 * * *', 300) RETURNING id`);
    await ds.query(
      `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
                    VALUES ($1, 'cron', 'success', '2026-12-01T06:00:00Z', '2026-12-01T06:01:00Z')`,
      [capsule.id],
    );
    await ds.query(`INSERT INTO capsule_alerts (capsule_id, status, alert_after) VALUES ($1, 'up', $2)`, [
      capsule.id,
      DEADLINE,
    ]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // The report of the 06:04:59 run locks the capsule's alert row before it writes the run; the
    // detector tries the capsule in between (the run not yet written, not even uncommitted).
    const reporting = reporter.database.transaction(async (tx) => {
      const state = (await reporter.service.lockForReports(tx, ['racer'])).get('racer');
      locked();
      await held;
      const [run] = await tx.rows<{ id: string }>(
        sql`INSERT INTO capsule_runs (capsule_id, actor, status, started_at)
            VALUES (${capsule.id}, 'cron', 'running', '2026-12-02T06:04:59Z') RETURNING id`,
      );
      await reporter.service.onRunReported(
        tx,
        {
          id: run.id,
          capsule_id: capsule.id,
          status: 'running',
          started_at: new Date('2026-12-02T06:04:59Z'),
          completed_at: null,
          duration_ms: null,
          exit_code: null,
          message: null,
        },
        state,
      );
    });
    await isLocked;
    expect(await detecting.service.detect(capsule.id, clock.now())).toBeNull();
    release();
    await reporting;
    expect(await detecting.service.detect(capsule.id, clock.now())).toBeNull();
    const flips = await ds.query(`SELECT * FROM capsule_flips WHERE capsule_id = $1`, [capsule.id]);
    expect(flips).toEqual([]);
    const [state] = await ds.query(`SELECT status, alert_after FROM capsule_alerts WHERE capsule_id = $1`, [
      capsule.id,
    ]);
    expect(state).toEqual({ status: 'up', alert_after: new Date('2026-12-03T06:05:00.000Z') });
  });

  it('a recovery sets no deadline for a run already alerted on as stuck, with no detector pass after it', async () => {
    const [{ service, database }] = replicas;
    const [ds] = sources;
    const [capsule] = await ds.query(`INSERT INTO capsules (slug, title, kind, mode, max_runtime_seconds)
                                      VALUES ('hung', 'Hung', 'k', 'm', 600) RETURNING id`);
    // Running since 06:55, flipped down as stuck at 06:55 + 600 s: the floor is that flip.
    await ds.query(
      `INSERT INTO capsule_runs (capsule_id, actor, status, started_at) VALUES ($1, 'cron', 'running', '2026-12-02T06:55:00Z')`,
      [capsule.id],
    );
    await ds.query(
      `INSERT INTO capsule_alerts (capsule_id, status, changed_at, deadline_floor)
       VALUES ($1, 'down', '2026-12-02T07:05:00Z', '2026-12-02T07:05:00Z')`,
      [capsule.id],
    );
    await database.transaction(async (tx) => {
      const state = (await service.lockForReports(tx, ['hung'])).get('hung');
      const [run] = await tx.rows<{ id: string }>(
        sql`INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
            VALUES (${capsule.id}, 'cron', 'success', '2026-12-02T07:05:30Z', '2026-12-02T07:05:40Z') RETURNING id`,
      );
      const flip = await service.onRunReported(
        tx,
        {
          id: run.id,
          capsule_id: capsule.id,
          status: 'success',
          started_at: new Date('2026-12-02T07:05:30Z'),
          completed_at: new Date('2026-12-02T07:05:40Z'),
          duration_ms: 10_000,
          exit_code: 0,
          message: null,
        },
        state,
      );
      expect(flip).toMatchObject({ to: 'up', reason: 'recovered' });
    });
    const [state] = await ds.query(`SELECT status, alert_after FROM capsule_alerts WHERE capsule_id = $1`, [
      capsule.id,
    ]);
    expect(state).toEqual({ status: 'up', alert_after: null });
  });

  it('a capsule the detector fails on is looked at again later; the others flip', async () => {
    const [{ detector }] = replicas;
    const [ds] = sources;
    // A schedule the evaluator cannot read (written past the API, which validates it).
    const rows = await ds.query(`INSERT INTO capsules (slug, title, kind, mode, schedule, grace_seconds)
                                 VALUES ('broken', 'Broken', 'k', 'm', 'every tuesday', 300),
                                        ('healthy', 'Healthy', 'k', 'm', '0 6 * * *', 300) RETURNING id, slug`);
    await ds.query(`INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
                    SELECT id, 'cron', 'success', '2026-12-01T06:00:00Z', '2026-12-01T06:01:00Z'
                    FROM capsules WHERE slug IN ('broken', 'healthy')`);
    await ds.query(
      `INSERT INTO capsule_alerts (capsule_id, status, alert_after)
                    SELECT id, 'up', $1 FROM capsules WHERE slug IN ('broken', 'healthy')`,
      [DEADLINE],
    );
    await expect(detector.pass()).resolves.not.toThrow();
    const broken = rows.find((r: { slug: string }) => r.slug === 'broken');
    const healthy = rows.find((r: { slug: string }) => r.slug === 'healthy');
    expect(await ds.query(`SELECT reason FROM capsule_flips WHERE capsule_id = $1`, [healthy.id])).toEqual([
      { reason: 'missed' },
    ]);
    const [state] = await ds.query(`SELECT status, alert_after FROM capsule_alerts WHERE capsule_id = $1`, [broken.id]);
    expect(state.status).toBe('up');
    expect(state.alert_after.getTime()).toBeGreaterThan(clock.now().getTime());
  });

  it('downtime over a window counts the span before its first flip when the capsule was down then', async () => {
    const [{ alerts }] = replicas;
    const [ds] = sources;
    const [capsule] = await ds.query(
      `INSERT INTO capsules (slug, title, kind, mode) VALUES ('flappy', 'Flappy', 'k', 'm') RETURNING id`,
    );
    const flips: [string, string, string][] = [
      ['up', 'down', '2026-11-30T00:00:00Z'], // before the window: down at its start
      ['down', 'up', '2026-12-01T01:00:00Z'], // 1 h into the window
      ['up', 'down', '2026-12-01T10:00:00Z'],
      ['down', 'up', '2026-12-01T10:30:00Z'],
      ['up', 'down', '2026-12-01T23:00:00Z'], // down until the window's end
    ];
    for (const [from, to, at] of flips) {
      await ds.query(
        `INSERT INTO capsule_flips (capsule_id, from_status, to_status, reason, at, notified)
         VALUES ($1, $2, $3, CASE WHEN $3 = 'down' THEN 'failed' ELSE 'recovered' END, $4, false)`,
        [capsule.id, from, to, at],
      );
    }
    const seconds = await alerts.downtimeSeconds(
      capsule.id,
      new Date('2026-12-01T00:00:00Z'),
      new Date('2026-12-02T00:00:00Z'),
    );
    expect(seconds).toBe(3600 + 1800 + 3600);
  });
});
