import { randomBytes } from 'node:crypto';
import { Client, type Pool } from 'pg';
import { ApiKeysService, generateApiKey } from '@app/auth';
import { FixedClock } from '@app/common';
import { pgPool } from '@app/database';
import type { Response } from 'supertest';
import { type AppOnUrl, createAppOnUrl } from '../support/app-on-url';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { until } from '../support/until';

/** Words of the driver or the server that must never reach a client. */
const INTERNALS = /read-only|password|authentication|accepting|\bpg\b|postgres|SQL|stack|\bat .+:\d+:\d+/i;

// Each test waits for sessions to end and for the app to heal: seconds under a loaded CI.
jest.setTimeout(30_000);

/**
 * Database faults a failover, a credential rotation or maintenance cause, each
 * made for real on this file's own database and role (the shared test server
 * keeps serving every other file): every API call answers a 503 problem with
 * Retry-After (never a 500 or driver text), readiness says not ready, and the
 * app heals by itself once the fault is undone. A full disk (53100) cannot be
 * made here without a file system of its own; its class (53) is exercised by a
 * role's connection limit, and the SQLSTATE itself by the unit test of
 * isDatabaseUnavailable.
 */
describe('database faults', () => {
  const role = `capsules_app_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  let db: TestDatabase;
  /** On the server's maintenance database (a database cannot refuse connections from its own session). */
  let admin: Client;
  let t: AppOnUrl;

  beforeAll(async () => {
    db = await createTestDatabase();
    admin = new Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await admin.query(`GRANT pg_read_all_data, pg_write_all_data TO ${role}`);
    await admin.query(`GRANT CONNECT ON DATABASE ${db.name} TO ${role}`);
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    t = await createAppOnUrl(url.toString(), { config: { dbPoolSize: 2, dbConnectionTimeoutMs: 2_000 } });
    await t.http().post('/api/capsules').send({ slug: 'fault-a', title: 'Fault A', kind: 'k', mode: 'm' }).expect(200);
  });

  afterAll(async () => {
    await t?.close();
    await admin?.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await db?.drop();
    await admin?.query(`DROP ROLE IF EXISTS ${role}`);
    await admin?.end();
  });

  /**
   * Ends the app's open sessions, so its next query opens a connection under the new conditions:
   * waits until the server has no session of the role left and every app's pool has dropped its
   * connections (a query on one it has not yet dropped would fail as terminated instead).
   */
  async function dropAppSessions(...apps: AppOnUrl[]): Promise<void> {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    await until(
      async () =>
        (await admin.query('SELECT 1 FROM pg_stat_activity WHERE usename = $1', [role])).rowCount === 0 &&
        [t, ...apps].every((app) => pool(app).totalCount === 0),
      'the app sessions to end',
    );
  }

  const report = () => t.http().post('/api/capsules/run').send({ capsule_slug: 'fault-a', actor: 'cron' });
  const runCount = async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM capsule_runs')).rows[0].n;
    } finally {
      await client.end();
    }
  };

  /** Readiness reports the database check down with our own words. */
  async function expectNotReady(message: RegExp): Promise<void> {
    const ready = await t.http().get('/health/ready').expect(503);
    expect(ready.body.error.database).toMatchObject({ status: 'down', message: expect.stringMatching(message) });
  }

  /** Undone, the fault heals by itself: within seconds, without a restart. */
  async function expectHealed(): Promise<void> {
    await dropAppSessions(); // sessions opened during the fault may keep its settings
    await until(async () => (await report()).status === 200, 'a report after the fault was undone', {
      attempts: 50,
      intervalMs: 100,
    });
    await t.http().get('/health/ready').expect(200);
  }

  it('a read-only node (after a failover, or default_transaction_read_only): writes 503, reads 200, not ready', async () => {
    await admin.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
    await dropAppSessions();
    const before = await runCount();
    expectUnavailableProblem(await report());
    expect(await runCount()).toBe(before);
    await t.http().get('/api/capsules/runs').expect(200);
    await expectNotReady(/read-only/);
    await t.http().get('/health/live').expect(200);

    await admin.query(`ALTER ROLE ${role} RESET default_transaction_read_only`);
    await expectHealed();
  });

  it('a rotated password (28P01): every call 503, not ready; back when the password is', async () => {
    await admin.query(`ALTER ROLE ${role} PASSWORD '${randomBytes(12).toString('hex')}'`);
    await dropAppSessions();
    expectUnavailableProblem(await report());
    expectUnavailableProblem(await t.http().get('/api/capsules/runs'));
    await expectNotReady(/unreachable/);

    await admin.query(`ALTER ROLE ${role} PASSWORD '${password}'`);
    await expectHealed();
  });

  it('a database not accepting connections (55000): every call 503, not ready; back when it does', async () => {
    await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
    await dropAppSessions();
    expectUnavailableProblem(await report());
    expectUnavailableProblem(await t.http().get('/api/capsules/fault-a'));
    await expectNotReady(/unreachable/);

    await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
    await expectHealed();
  });

  it('/metrics stays readable during an outage with a key from the environment or a known database key', async () => {
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    const clock = new FixedClock(new Date());
    const envKey = `metrics-env-${randomBytes(16).toString('hex')}`;
    const scraper = await createAppOnUrl(url.toString(), {
      clock,
      config: {
        dbPoolSize: 2,
        dbConnectionTimeoutMs: 2_000,
        metricsPublic: false,
        apiKeys: `prometheus-env:read:${envKey}`,
      },
    });
    try {
      const { key: databaseKey } = await scraper.app.get(ApiKeysService).create('prometheus', 'read');
      await scraper.http().get('/metrics').set('X-API-Key', databaseKey).expect(200);

      await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
      await dropAppSessions(scraper);
      clock.set(new Date(clock.now().getTime() + 60_000)); // the key cache has expired
      for (const key of [databaseKey, envKey]) {
        const res = await scraper.http().get('/metrics').set('X-API-Key', key).expect(200);
        expect(res.text).toContain('capsules_http_requests_total');
        expect(res.text).not.toMatch(/^capsules_runs\{/m); // the database's series are left out
      }
      // A key never seen cannot be checked while the database is away.
      const unknown = await scraper.http().get('/metrics').set('X-API-Key', generateApiKey().key);
      expectUnavailableProblem(unknown);
    } finally {
      await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
      await scraper.close();
    }
    await expectHealed();
  });

  it('insufficient resources, class 53 (a connection limit reached): every call 503; back when lifted', async () => {
    await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT 0`);
    await dropAppSessions();
    expectUnavailableProblem(await report());
    await expectNotReady(/unreachable|out of resources/);

    await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT -1`);
    await expectHealed();
  });
});

/** The pg pool under an app's DataSource (its open connections: `totalCount`). */
function pool(app: AppOnUrl): Pool {
  return pgPool(app.dataSource)!;
}

/** A 503 problem+json with Retry-After whose text names nothing of the driver or the server. */
function expectUnavailableProblem(res: Response): void {
  expect({ status: res.status, body: res.body }).toMatchObject({
    status: 503,
    body: { status: 503, code: 'DATABASE_UNAVAILABLE' },
  });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(res.text).not.toMatch(INTERNALS);
}
