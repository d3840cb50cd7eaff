import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { Response, Test } from 'supertest';
import { type EmbeddedPostgresServer, runMigrations, startEmbeddedPostgres } from '@app/database';
import { type AppOnUrl, createAppOnUrl } from '../support/app-on-url';
import { freePort } from '../support/free-port';
import { until } from '../support/until';

/** Longest any one request may take before the test counts it as hung. */
const REQUEST_LIMIT_MS = 15_000;
const SLOW = 60_000;
const SETTINGS = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };

/** Words of the driver or the server that must never reach a client. */
const INTERNALS = /ECONNREFUSED|ECONNRESET|connect|terminat|\bpg\b|postgres|stack|\bat .+:\d+:\d+/i;

/**
 * Processes stopped with SIGSTOP (a frozen host or frozen sessions). `thaw` continues them in
 * reverse order (children first, the postmaster last) and is idempotent; it also runs on exit,
 * should the worker die mid-test, so no cluster stays frozen.
 */
class Frozen {
  private pids: number[] = [];

  readonly thaw = (): void => {
    for (const pid of [...this.pids].reverse()) signal(pid, 'SIGCONT');
    this.pids = [];
    process.removeListener('exit', this.thaw);
  };

  freeze(pids: number[]): void {
    this.pids = [...pids];
    process.once('exit', this.thaw);
    for (const pid of this.pids) signal(pid, 'SIGSTOP');
  }
}

/**
 * The database goes away under a running app and comes back: API calls answer
 * a bounded 503 problem (never a hang, a 500 or driver text), readiness
 * follows the database, liveness does not, and the app recovers without a
 * restart. The shared test server serves every file at once, so this file
 * stops and starts a PostgreSQL of its own.
 */
describe('database outage', () => {
  // As root in a checkout the postgres OS user cannot reach, the cluster is placed elsewhere:
  // the server's own dataDir says where (its processes and lock file are read there).
  const requestedDir = path.resolve(__dirname, '../../.data', `test-outage-${randomBytes(4).toString('hex')}`);
  let dataDir = requestedDir;
  let server: EmbeddedPostgresServer | undefined;
  let t: AppOnUrl;
  let running: number;
  const before: number[] = [];

  beforeAll(async () => {
    server = await startEmbeddedPostgres({ dataDir: requestedDir, port: await freePort(), settings: SETTINGS });
    dataDir = server.dataDir;
    await server.ensureDatabase('capsules');
    await runMigrations({ url: server.url('capsules') });
    t = await createAppOnUrl(server.url('capsules'), {
      config: { dbPoolSize: 3, dbConnectionTimeoutMs: 1_000 },
    });

    await t
      .http()
      .post('/api/capsules')
      .send({ slug: 'outage-a', title: 'Outage A', kind: 'dispatch', mode: 'automated' })
      .expect(200);
    for (const status of ['success', 'error']) {
      const res = await t
        .http()
        .post('/api/capsules/run')
        .send({ capsule_slug: 'outage-a', actor: 'cron', status })
        .expect(200);
      before.push(res.body.id);
    }
    const res = await t
      .http()
      .post('/api/capsules/run')
      .send({ capsule_slug: 'outage-a', actor: 'cron', status: 'running' })
      .expect(200);
    running = res.body.id;
    before.push(running);
  }, SLOW);

  afterAll(async () => {
    await t?.close();
    await server?.stop().catch(() => undefined);
    for (const dir of new Set([requestedDir, dataDir])) {
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.password`, { force: true });
    }
  }, SLOW);

  async function runIds(): Promise<number[]> {
    const res = await t.http().get('/api/capsules/runs?limit=1000').timeout(REQUEST_LIMIT_MS).expect(200);
    return res.body.map((r: { id: number }) => r.id).sort((a: number, b: number) => a - b);
  }

  describe('while the database is down', () => {
    beforeAll(async () => {
      await server!.stop();
    }, SLOW);

    const calls: [string, (t: AppOnUrl) => Test][] = [
      [
        'POST /api/capsules',
        (t) =>
          t
            .http()
            .post('/api/capsules')
            .send({ slug: 'outage-new', title: 'New', kind: 'dispatch', mode: 'automated' }),
      ],
      [
        'POST /api/capsules/run',
        (t) => t.http().post('/api/capsules/run').send({ capsule_slug: 'outage-a', actor: 'cron' }),
      ],
      [
        'POST /api/capsules/run (idempotent)',
        (t) =>
          t
            .http()
            .post('/api/capsules/run')
            .set('Idempotency-Key', 'during-outage')
            .send({ capsule_slug: 'outage-a', actor: 'cron' }),
      ],
      [
        'PATCH /api/capsules/runs/:id',
        (t) => t.http().patch(`/api/capsules/runs/${running}`).send({ status: 'success' }),
      ],
      ['GET /api/capsules', (t) => t.http().get('/api/capsules')],
      ['GET /api/capsules/:slug', (t) => t.http().get('/api/capsules/outage-a')],
      ['GET /api/capsules/runs', (t) => t.http().get('/api/capsules/runs')],
      ['GET /api/capsules/runs/:id', (t) => t.http().get(`/api/capsules/runs/${running}`)],
      ['GET /api/capsules/performance', (t) => t.http().get('/api/capsules/performance')],
      ['GET /api/capsules/scheduled', (t) => t.http().get('/api/capsules/scheduled')],
    ];

    it.each(calls)(
      '%s answers a 503 problem with Retry-After and no driver text',
      async (_label, call) => {
        const res = await call(t).timeout(REQUEST_LIMIT_MS);
        expectUnavailableProblem(res);
        expect(res.body).toEqual({
          type: 'urn:capsules:problem:database-unavailable',
          title: 'Service Unavailable',
          status: 503,
          detail: expect.any(String),
          code: 'DATABASE_UNAVAILABLE',
          instance: expect.any(String),
          request_id: expect.any(String),
        });
      },
      SLOW,
    );

    it(
      'GET /health/ready answers 503 with the database down',
      async () => {
        const res = await t.http().get('/health/ready').timeout(REQUEST_LIMIT_MS);
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({
          status: 'error',
          error: { database: { status: 'down', message: 'database unreachable' } },
        });
        expect(res.text).not.toMatch(INTERNALS);
      },
      SLOW,
    );

    it.each(['/health/live', '/health', '/api/health', '/'])(
      'GET %s still answers 200',
      async (probe) => {
        await t.http().get(probe).timeout(REQUEST_LIMIT_MS).expect(200);
      },
      SLOW,
    );
  });

  describe('when the database returns', () => {
    beforeAll(async () => {
      const port = server!.port;
      server = await startEmbeddedPostgres({ dataDir, port, settings: SETTINGS });
      // The app keeps its URL: the cluster must come back where it was.
      expect(server.port).toBe(port);
    }, SLOW);

    it(
      'GET /health/ready is 200 again, without restarting the app',
      async () => {
        const ready = async () => (await t.http().get('/health/ready').timeout(REQUEST_LIMIT_MS)).status === 200;
        await until(ready, 'readiness after the database returned', { attempts: 50, intervalMs: 100 });
      },
      SLOW,
    );

    it('kept every run written before the outage and none of the writes tried during it', async () => {
      expect(await runIds()).toEqual(before);
      await t.http().get('/api/capsules/outage-new').timeout(REQUEST_LIMIT_MS).expect(404);
      const run = await t.http().get(`/api/capsules/runs/${running}`).timeout(REQUEST_LIMIT_MS).expect(200);
      expect(run.body.status).toBe('running');
    });

    it('records runs and finishes them again', async () => {
      const res = await t
        .http()
        .post('/api/capsules/run')
        .send({ capsule_slug: 'outage-a', actor: 'cron' })
        .timeout(REQUEST_LIMIT_MS)
        .expect(200);
      expect(await runIds()).toEqual([...before, res.body.id]);
      const finished = await t
        .http()
        .patch(`/api/capsules/runs/${running}`)
        .send({ status: 'success' })
        .timeout(REQUEST_LIMIT_MS)
        .expect(200);
      expect(finished.body.status).toBe('success');
      const performance = await t.http().get('/api/capsules/performance').timeout(REQUEST_LIMIT_MS).expect(200);
      expect(performance.body).toEqual([
        expect.objectContaining({ capsule_slug: 'outage-a', total_runs: 4, successful_runs: 3, failed_runs: 1 }),
      ]);
    });
  });

  /**
   * A database that stops answering without closing anything (a frozen host, a dropped network
   * path): every server process is stopped, so connections stay open, queries sit unanswered and
   * no server-side timeout can fire. The request deadline bounds every answer. An app of its own
   * with short timeouts (the rest of the file keeps the defaults, so a slow CI is no outage).
   */
  describe('while the database hangs (every server process frozen), and when it resumes', () => {
    let hung: AppOnUrl;
    const frozen = new Frozen();

    beforeAll(async () => {
      hung = await createAppOnUrl(server!.url('capsules'), {
        config: { dbPoolSize: 2, dbConnectionTimeoutMs: 1_000, dbStatementTimeoutMs: 1_000, requestTimeoutMs: 2_000 },
      });
      await hung.http().get('/api/capsules').timeout(REQUEST_LIMIT_MS).expect(200);
      frozen.freeze(serverProcesses(dataDir));
    }, SLOW);

    afterAll(async () => {
      frozen.thaw();
      await hung?.close();
    }, SLOW);

    it.each([
      ['POST /api/capsules/run', () => hung.http().post('/api/capsules/run').send(HUNG_REPORT)],
      ['GET /api/capsules', () => hung.http().get('/api/capsules')],
      ['GET /api/capsules/performance', () => hung.http().get('/api/capsules/performance')],
    ])(
      '%s answers a bounded 503 problem, not a hang',
      async (_label, call) => {
        const res = await call().timeout(REQUEST_LIMIT_MS);
        expectUnavailableProblem(res);
        expect(['REQUEST_TIMEOUT', 'DATABASE_UNAVAILABLE']).toContain(res.body.code);
      },
      SLOW,
    );

    it(
      'readiness is 503, liveness 200',
      async () => {
        const ready = await hung.http().get('/health/ready').timeout(REQUEST_LIMIT_MS);
        expect(ready.status).toBe(503);
        expect(ready.text).not.toMatch(INTERNALS);
        await hung.http().get('/health/live').timeout(REQUEST_LIMIT_MS).expect(200);
      },
      SLOW,
    );

    it(
      'when it resumes: readiness recovers, and the report retried with its run_key is recorded once',
      async () => {
        frozen.thaw();
        const ready = async () => (await hung.http().get('/health/ready').timeout(REQUEST_LIMIT_MS)).status === 200;
        await until(ready, 'readiness after the database resumed', { intervalMs: 100 });
        // The first attempt's INSERT may have completed once the server resumed: the retry finds it.
        const res = await hung.http().post('/api/capsules/run').send(HUNG_REPORT).timeout(REQUEST_LIMIT_MS).expect(200);
        const rows = await hung.dataSource.query<{ id: number }[]>(
          'SELECT id::int AS id FROM capsule_runs WHERE run_key = $1',
          [HUNG_REPORT.run_key],
        );
        expect(rows).toEqual([{ id: res.body.id }]);
      },
      SLOW,
    );
  });

  /**
   * Only the service's own sessions stop answering (the server still takes new connections): a
   * stuck session is given up at the statement timeout plus a margin and destroyed, not returned
   * to the pool, so writes succeed again within seconds while those sessions stay frozen.
   */
  describe('while only the sessions of the service are frozen', () => {
    let stuck: AppOnUrl;
    const frozen = new Frozen();
    let sessions: number[] = [];
    const report = { capsule_slug: 'outage-a', actor: 'cron', status: 'success', run_key: 'frozen-sessions' };

    beforeAll(async () => {
      stuck = await createAppOnUrl(server!.url('capsules'), {
        config: { dbPoolSize: 2, dbConnectionTimeoutMs: 1_000, dbStatementTimeoutMs: 1_000, requestTimeoutMs: 5_000 },
      });
      // Both pooled sessions open, then frozen.
      await Promise.all([1, 2].map(() => stuck.http().get('/api/capsules').expect(200)));
      const admin = new Client({ connectionString: server!.url('capsules'), application_name: 'capsules-test' });
      await admin.connect();
      try {
        const rows = await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = 'capsules' AND application_name = 'capsules-api'`,
        );
        sessions = rows.rows.map((r) => r.pid);
      } finally {
        await admin.end();
      }
      expect(sessions.length).toBeGreaterThanOrEqual(2);
      frozen.freeze(sessions);
    }, SLOW);

    afterAll(async () => {
      frozen.thaw();
      await stuck?.close();
    }, SLOW);

    it(
      'a write retried with its run_key succeeds on a fresh session while the old ones stay frozen',
      async () => {
        const answers: number[] = [];
        await until(
          async () => {
            const res = await stuck.http().post('/api/capsules/run').send(report).timeout(REQUEST_LIMIT_MS);
            answers.push(res.status);
            if (res.status !== 200) expectUnavailableProblem(res);
            return res.status === 200;
          },
          'a write on a fresh session',
          { intervalMs: 100 },
        );
        expect(answers[0]).toBe(503); // the first attempt met a frozen session
        expect(sessions.every((pid) => processState(pid) === 'T')).toBe(true); // still frozen
        await stuck.http().get('/health/ready').timeout(REQUEST_LIMIT_MS).expect(200);
      },
      SLOW,
    );

    it(
      'once thawed, the report is stored exactly once',
      async () => {
        frozen.thaw();
        // The thawed sessions read what was sent to them before their clients gave up (possibly the
        // first attempt's INSERT), then find their sockets closed and end: only then is it decided.
        await until(
          async () =>
            (
              await stuck.dataSource.query<{ n: number }[]>(
                'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])',
                [sessions],
              )
            )[0].n === 0,
          'the thawed sessions to end',
        );
        const rows = await stuck.dataSource.query<{ n: number }[]>(
          'SELECT count(*)::int AS n FROM capsule_runs WHERE run_key = $1',
          [report.run_key],
        );
        expect(rows).toEqual([{ n: 1 }]);
      },
      SLOW,
    );
  });
});

/** The state letter of a process (/proc/<pid>/stat): T when stopped. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** A 503 problem+json with Retry-After whose text names nothing of the driver or the server. */
function expectUnavailableProblem(res: Response): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status: 503 });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(res.text).not.toMatch(INTERNALS);
}

const HUNG_REPORT = { capsule_slug: 'outage-a', actor: 'cron', status: 'success', run_key: 'during-the-hang' };

/** The postmaster of the cluster in `dataDir` and every process it started (backends, workers). */
function serverProcesses(dataDir: string): number[] {
  const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false; // the process ended while we looked
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

/** Sends a signal to a process that may have ended in the meantime. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
