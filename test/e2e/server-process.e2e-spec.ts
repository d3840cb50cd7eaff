import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { hashApiKey } from '@app/auth';
import { startEmbeddedPostgres } from '@app/database';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { freePort } from '../support/free-port';
import { type ServerProcess, startServer } from '../support/server-process';
import { until } from '../support/until';

/**
 * The built server (`node dist/apps/api/src/main.js`, built by `npm test`'s
 * pretest) as a real process: SIGTERM with requests in flight, and the
 * refusal to start without keys.
 */
const APIKEY = path.resolve(__dirname, '../../dist/apps/api/src/apikey.js');
const execFileAsync = promisify(execFile);

/** One query on a short-lived connection. */
async function sql<T extends object>(url: string, text: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Runs `work` against a started server; on failure prints what the server logged, and in any
 * case kills the process and waits for it to be gone.
 */
async function withServer(env: Record<string, string>, work: (server: ServerProcess) => Promise<void>): Promise<void> {
  const server = await startServer(env);
  try {
    await work(server);
  } catch (error) {
    process.stderr.write(`server output:\n${server.lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    throw error;
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

/** Waits for a log line that starts with `text` (`attempts` checks 50 ms apart). */
function logged(server: ServerProcess, text: string, attempts?: number): Promise<void> {
  return until(() => server.lines.some((l) => String(l.message).startsWith(text)), `"${text}" in the log`, {
    attempts,
  });
}

/** Waits until the server's port refuses new connections (its listener closed). */
function refused(port: number): Promise<void> {
  return until(async () => {
    try {
      await request(port, 'GET', '/health/live');
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
    }
  }, 'new connections to be refused');
}

function request(
  port: number,
  method: string,
  urlPath: string,
  body?: unknown,
  key?: string,
  /** The answer is text (its body as `{ text }`), not JSON. */
  asText = false,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent: false,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(key ? { 'x-api-key': key } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: asText ? { text } : text ? JSON.parse(text) : {} }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A fresh directory under the system's temporary directory that every user can reach (0755). */
function reachableTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

jest.setTimeout(60_000);

describe('the server process', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('on SIGTERM refuses new connections, finishes in-flight writes, and every acknowledged run is stored', async () => {
    await withServer({ DATABASE_URL: db.url, SHUTDOWN_DRAIN_MS: '20000', DB_POOL_SIZE: '30' }, async (server) => {
      await logged(server, 'Capsules API listening');
      const capsule = { slug: 'drain-me', title: 'Drain', kind: 'dispatch', mode: 'automated' };
      expect((await request(server.port, 'POST', '/api/capsules', capsule)).status).toBe(200);

      const blocker = new Client({ connectionString: db.url });
      blocker.on('error', () => undefined);
      await blocker.connect();
      await blocker.query('BEGIN');
      // Run inserts wait behind it: reports are written in groups (ADR 13), the first group holding the
      // capsule's alert row, the next behind that, and the rest waiting for a group of their own.
      await blocker.query('LOCK TABLE capsule_runs IN SHARE MODE');
      const inFlight = Array.from({ length: 20 }, (_, i) =>
        request(server.port, 'POST', '/api/capsules/run', {
          capsule_slug: 'drain-me',
          actor: `w${i}`,
          status: 'success',
        }),
      );
      // Every report is in the process (the metric counts them) and a group waits on the lock.
      const watcher = new Client({ connectionString: db.url });
      await watcher.connect();
      await until(async () => {
        const metrics = await request(server.port, 'GET', '/metrics', undefined, undefined, true);
        if (!/^capsules_run_reports_pending 20$/m.test(String(metrics.body.text))) return false;
        // Watched from another session: inside the blocker's transaction pg_stat_activity is a snapshot.
        const { rows } = await watcher.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND (query LIKE '%capsule_runs%' OR query LIKE '%capsule_alerts%')`,
        );
        return rows[0].n >= 1;
      }, 'the 20 reports to be pending, a group waiting on the lock');
      await watcher.end();

      server.child.kill('SIGTERM');
      await refused(server.port);

      await blocker.query('COMMIT');
      await blocker.end();
      const answers = await Promise.all(inFlight);
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(await server.exited).toBe(0);

      const check = new Client({ connectionString: db.url });
      await check.connect();
      try {
        const ids = answers.map((a) => String(a.body.id));
        const { rows } = await check.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM capsule_runs WHERE id = ANY($1::bigint[])',
          [ids],
        );
        expect(rows[0].n).toBe(20);
      } finally {
        await check.end();
      }
      expect(server.lines.some((l) => String(l.message).startsWith('SIGTERM: shutting down'))).toBe(true);
      expect(server.lines.some((l) => l.message === 'HTTP server closed, database pool closed')).toBe(true);
      const access = server.lines.find((l) => String(l.message).startsWith('no API keys yet: open access'));
      expect(access).toMatchObject({ severity: 'INFO', context: 'Bootstrap' });
    });
  });

  it('without DATABASE_URL it starts an embedded PostgreSQL, and SIGTERM stops it after the API', async () => {
    // Reachable by the postgres OS user (as root), wherever the checkout is: the cluster stays in DATA_DIR.
    const dataDir = reachableTempDir('capsules-process-');
    try {
      await withServer(
        {
          DATA_DIR: dataDir,
          EMBEDDED_POSTGRES_PORT: String(await freePort()),
          MIGRATE_ON_BOOT: 'true',
        },
        async (server) => {
          await logged(server, 'Capsules API listening', 1200);
          const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
          const pgPort = Number(readFileSync(pidFile, 'utf8').split('\n')[3]);
          const capsule = { slug: 'embedded', title: 'Embedded', kind: 'dispatch', mode: 'automated' };
          expect((await request(server.port, 'POST', '/api/capsules', capsule)).status).toBe(200);
          server.child.kill('SIGTERM');
          expect(await server.exited).toBe(0);
          const order = ['HTTP server closed, database pool closed', 'embedded PostgreSQL stopped'].map((message) =>
            server.lines.findIndex((l) => l.message === message),
          );
          expect(order[0]).toBeGreaterThanOrEqual(0);
          expect(order[1]).toBeGreaterThan(order[0]);
          expect(existsSync(pidFile)).toBe(false);
          const probe = new Client({ host: '127.0.0.1', port: pgPort, connectionTimeoutMillis: 5_000 });
          await expect(probe.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
        },
      );
    } finally {
      // A server the failed run left (it lives in its own session): immediate shutdown, then its files.
      const left = path.join(dataDir, 'postgres', 'postmaster.pid');
      if (existsSync(left)) process.kill(Number(readFileSync(left, 'utf8').split('\n')[0]), 'SIGQUIT');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a failed start of the embedded PostgreSQL is one line with the reason and what to do (JSON and pretty), exit 1', async () => {
    const dataDir = reachableTempDir('capsules-old-cluster-');
    try {
      // A cluster an older PostgreSQL made (what an upgrade of the binaries leaves behind).
      const made = await startEmbeddedPostgres({
        dataDir: path.join(dataDir, 'postgres'),
        port: await freePort(),
        settings: { fsync: 'off' },
      });
      await made.stop();
      writeFileSync(path.join(made.dataDir, 'PG_VERSION'), '9.6\n');
      const env = { DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(await freePort()) };
      const reason =
        /did not start: FATAL: database files are incompatible with server DETAIL: .*version 9\.6.*DATABASE_URL/;

      await withServer({ ...env, LOG_FORMAT: 'json' }, async (server) => {
        expect(await server.exited).toBe(1);
        expect(server.lines).toEqual([
          expect.objectContaining({ severity: 'ERROR', message: expect.stringMatching(reason) }),
        ]);
        expect(Object.keys(server.lines[0])).not.toContain('err');
      });

      await withServer({ ...env, LOG_FORMAT: 'pretty' }, async (server) => {
        expect(await server.exited).toBe(1);
        expect(server.lines).toEqual([{ text: expect.stringMatching(/ERROR/) }]);
        expect(server.lines[0].text).toMatch(reason);
      });
      expect(existsSync(path.join(made.dataDir, 'postmaster.pid'))).toBe(false);
    } finally {
      // The cluster's server, if a failure left it running: immediate shutdown, then its files.
      const left = path.join(dataDir, 'postgres', 'postmaster.pid');
      if (existsSync(left)) process.kill(Number(readFileSync(left, 'utf8').split('\n')[0]), 'SIGQUIT');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('DATA_DIR that cannot be made a directory: one JSON line that says so and what to do, exit 1', async () => {
    const dir = reachableTempDir('capsules-file-');
    const dataDir = path.join(dir, 'a-file');
    writeFileSync(dataDir, 'not a directory\n');
    try {
      await withServer({ DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(await freePort()) }, async (server) => {
        expect(await server.exited).toBe(1);
        expect(server.lines).toEqual([expect.objectContaining({ severity: 'ERROR' })]);
        const { message } = server.lines[0] as { message: string };
        expect(message).toContain(`cannot create the directory ${dataDir} for the embedded PostgreSQL cluster`);
        expect(message).toMatch(/EEXIST.*DATA_DIR.*DATABASE_URL/);
        expect(message).not.toMatch(/\n|\bat .+:\d+:\d+/);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['false', 'true'])(
    'the database down at boot (MIGRATE_ON_BOOT=%s): JSON lines only, one that says why, exit 1',
    async (migrate) => {
      const closed = `postgres://capsules:secret@127.0.0.1:${await freePort()}/capsules`;
      // NODE_ENV=test: the pool's connection is tried once (production retries 10 times, 2 s apart).
      await withServer({ DATABASE_URL: closed, MIGRATE_ON_BOOT: migrate, NODE_ENV: 'test' }, async (server) => {
        expect(await server.exited).toBe(1);
        for (const line of server.lines) expect(line).toHaveProperty('severity');
        const failed = server.lines.find((l) => String(l.message).startsWith('startup failed: the database'));
        expect(failed).toMatchObject({ severity: 'ERROR' });
        expect(String(failed!.message)).toMatch(/\(ECONNREFUSED\)\. Check DATABASE_URL/);
        expect(JSON.stringify(server.lines)).not.toMatch(/secret|\bat .+:\d+:\d+|stack/);
      });
    },
  );

  it('refuses to start in production without API keys (exit 2, says why)', async () => {
    const server = await startServer({ DATABASE_URL: db.url, NODE_ENV: 'production', HOST: '0.0.0.0' });
    expect(await server.exited).toBe(2);
    const refusal = server.lines.find((l) => String(l.message).startsWith('refusing to start without API keys'));
    expect(refusal).toMatchObject({ severity: 'ERROR' });
  });

  it('LOG_FORMAT=pretty (the default in a terminal) prints human lines, not JSON', async () => {
    await withServer({ DATABASE_URL: db.url, LOG_FORMAT: 'pretty' }, async (server) => {
      const text = () => server.lines.map((l) => (typeof l.text === 'string' ? l.text : '')).join('\n');
      await until(() => text().includes('Capsules API listening'), 'the pretty listening line');
      expect((await request(server.port, 'GET', '/health')).status).toBe(200);
      await until(() => text().includes('request completed'), 'the pretty request line');
      expect(text()).toMatch(/INFO.*Capsules API listening/);
      expect(server.lines.filter((l) => l.text === undefined && l.stderr === undefined)).toEqual([]);
    });
  });

  it('starts with AUTH_DISABLED on a public host, and warns', async () => {
    await withServer(
      {
        DATABASE_URL: db.url,
        NODE_ENV: 'production',
        HOST: '0.0.0.0',
        AUTH_DISABLED: 'true',
      },
      async (server) => {
        await logged(server, 'Capsules API listening');
        const warning = server.lines.find((l) => String(l.message).startsWith('AUTH_DISABLED=true'));
        expect(warning).toMatchObject({ severity: 'WARNING' });
        expect((await request(server.port, 'GET', '/api/capsules')).status).toBe(200);
        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
      },
    );
  });

  it('with SHUTDOWN_DELAY_MS, readiness is 503 on SIGTERM while the API still takes new connections', async () => {
    // A delay no machine runs out of while the checks below run; the test ends (SIGKILL) without waiting for it.
    await withServer({ DATABASE_URL: db.url, SHUTDOWN_DELAY_MS: '60000' }, async (server) => {
      await logged(server, 'Capsules API listening');
      expect((await request(server.port, 'GET', '/health/ready')).status).toBe(200);
      server.child.kill('SIGTERM');
      // Every request below opens a new connection (agent: false): the listener is still open.
      await until(async () => (await request(server.port, 'GET', '/health/ready')).status === 503, 'readiness 503');
      await logged(server, 'readiness is 503; serving 60000 ms more');
      const ready = await request(server.port, 'GET', '/health/ready');
      expect(ready).toMatchObject({ status: 503, body: { status: 'error', error: { shutdown: { status: 'down' } } } });
      expect((await request(server.port, 'GET', '/health/live')).status).toBe(200);
      const capsule = { slug: 'late-write', title: 'Late write', kind: 'dispatch', mode: 'automated' };
      expect((await request(server.port, 'POST', '/api/capsules', capsule)).status).toBe(200);
      expect((await request(server.port, 'GET', '/api/capsules/late-write')).status).toBe(200);
      expect(server.child.exitCode).toBeNull();
    });
  });

  it('after SHUTDOWN_DELAY_MS the listener closes and the process exits 0', async () => {
    // Nothing here has to happen within the delay: the test only waits for its end.
    await withServer({ DATABASE_URL: db.url, SHUTDOWN_DELAY_MS: '500' }, async (server) => {
      await logged(server, 'Capsules API listening');
      expect((await request(server.port, 'GET', '/health/ready')).status).toBe(200);
      server.child.kill('SIGTERM');
      await logged(server, 'readiness is 503; serving 500 ms more');
      await refused(server.port);
      expect(await server.exited).toBe(0);
    });
  });

  it('bounds the drain: a request stuck past SHUTDOWN_DRAIN_MS is cut and the process still exits', async () => {
    const blocker = new Client({ connectionString: db.url });
    blocker.on('error', () => undefined);
    await blocker.connect();
    try {
      await withServer({ DATABASE_URL: db.url, SHUTDOWN_DRAIN_MS: '500' }, async (server) => {
        await logged(server, 'Capsules API listening');
        const capsule = { slug: 'stuck', title: 'Stuck', kind: 'dispatch', mode: 'automated' };
        expect((await request(server.port, 'POST', '/api/capsules', capsule)).status).toBe(200);
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE capsule_runs IN SHARE MODE');
        const stuck = request(server.port, 'POST', '/api/capsules/run', { capsule_slug: 'stuck', actor: 'a' }).then(
          () => 'answered',
          (error: NodeJS.ErrnoException) => error.code ?? error.message,
        );
        await until(async () => {
          const rows = await sql<{ n: number }>(
            db.url,
            `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND (query LIKE '%capsule_runs%' OR query LIKE '%capsule_alerts%')`,
          );
          return rows[0].n === 1;
        }, 'the insert to wait on the lock');
        server.child.kill('SIGTERM');
        expect(await stuck).toBe('ECONNRESET');
        expect(await server.exited).toBe(1);
        expect(server.lines.some((l) => String(l.message).includes('closing their connections'))).toBe(true);
      });
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
  });

  it('npm run apikey: create prints the key alone on stdout, list shows it, revoke ends it', async () => {
    const keysDb = await createTestDatabase();
    const apikey = (...args: string[]) =>
      execFileAsync(process.execPath, [APIKEY, ...args], {
        env: { PATH: process.env.PATH, DATABASE_URL: keysDb.url, MIGRATE_ON_BOOT: 'false' },
      });
    try {
      const created = await apikey('create', '--name', 'cli-runner', '--scope', 'write');
      expect(created.stdout).toMatch(/^cap_[a-z0-9]{12}_[A-Za-z0-9_-]{43}\n$/);
      expect(created.stderr).toContain('It is shown once');
      const key = created.stdout.trim();
      const rows = await sql<{ name: string; key_hash: Buffer }>(keysDb.url, 'SELECT name, key_hash FROM api_keys');
      expect(rows).toEqual([{ name: 'cli-runner', key_hash: hashApiKey(key) }]);

      const listed = await apikey('list');
      expect(listed.stdout).toMatch(/\tcli-runner\twrite\t\S+\t-\n/);
      expect(listed.stdout).not.toContain(key.slice(17));

      const twice = await apikey('create', '--name', 'cli-runner', '--scope', 'read').catch((e: { code: number }) => e);
      expect(twice).toMatchObject({ code: 2 });

      await withServer({ DATABASE_URL: keysDb.url, NODE_ENV: 'production', HOST: '0.0.0.0' }, async (server) => {
        await logged(server, 'Capsules API listening');
        expect(server.lines.find((l) => String(l.message).startsWith('API keys required'))).toBeDefined();
        expect((await request(server.port, 'GET', '/api/capsules')).status).toBe(401);
        expect((await request(server.port, 'GET', '/api/capsules', undefined, key)).status).toBe(200);
        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
      });

      const revoked = await apikey('revoke', 'cli-runner');
      expect(revoked.stderr).toContain('Revoked "cli-runner"');
      expect((await apikey('list')).stdout).toMatch(/\tcli-runner\twrite\t\S+\t\d{4}-\d\d-\d\dT/);
    } finally {
      await keysDb.drop();
    }
  });
});
