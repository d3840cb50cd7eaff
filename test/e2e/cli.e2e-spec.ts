import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../support/free-port';
import { type ServerProcess, startServer } from '../support/server-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { until } from '../support/until';

/**
 * The `capsule` command (built by `npm test`'s pretest) against the built server in a child
 * process: every job is a real process, every report a real HTTP request; the API goes down by
 * stopping that process.
 */
const CLI = path.resolve(__dirname, '../../dist/apps/cli/src/main.js');
const KEY = 'cli-e2e-key-0123456789abcdef0123456789';
const NODE = process.execPath;

interface Finished {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  stderrBytes: Buffer;
}

interface Running {
  child: ChildProcess;
  stdout: Buffer[];
  finished: Promise<Finished>;
}

// Each case starts processes (and the API twice): longer than the default per-test bound.
jest.setTimeout(60_000);

describe('the capsule command', () => {
  let db: TestDatabase;
  let pg: Client;
  let server: ServerProcess;
  let port: number;
  let home: string;

  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? '',
    HOME: home,
    CAPSULES_URL: `http://127.0.0.1:${port}`,
    CAPSULES_API_KEY: KEY,
    CAPSULES_SPOOL_DIR: path.join(home, 'spool'),
    ...extra,
  });

  /** Starts `capsule args…` with the job's stdin from `input`. */
  function start(args: string[], options: { input?: Buffer; env?: Record<string, string> } = {}): Running {
    const child = spawn(NODE, [CLI, ...args], { env: env(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.end(options.input ?? Buffer.alloc(0));
    const finished = once(child, 'close').then(([code]) => ({
      code: code as number | null,
      stdout: Buffer.concat(stdout),
      stderr: Buffer.concat(stderr).toString('utf8'),
      stderrBytes: Buffer.concat(stderr),
    }));
    return { child, stdout, finished };
  }

  const capsule = (args: string[], options?: { input?: Buffer; env?: Record<string, string> }) =>
    start(args, options).finished;

  async function runsOf(slug: string) {
    const { rows } = await pg.query(
      `SELECT r.status, r.exit_code, r.duration_ms, r.completed_at, r.message, r.run_key, r.actor, r.checksum
       FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id WHERE c.slug = $1 ORDER BY r.id`,
      [slug],
    );
    return rows;
  }

  const spooled = () => {
    const dir = path.join(home, 'spool');
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  };

  async function startApi(): Promise<void> {
    server = await startServer({ DATABASE_URL: db.url, API_KEYS: `cli:write:${KEY}` }, port);
    await until(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok;
      } catch {
        return false;
      }
    }, 'the server to be ready');
  }

  async function stopApi(): Promise<void> {
    server.child.kill('SIGKILL');
    await server.exited;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    await pg.query(`INSERT INTO capsules (slug, title, kind, mode, schedule) VALUES
                    ('dawn-dispatch', 'Dawn Dispatch', 'dispatch', 'automated', '0 6 * * *')`);
    home = mkdtempSync(path.join(os.tmpdir(), 'capsule-cli-'));
    port = await freePort();
    await startApi();
  });

  afterAll(async () => {
    await stopApi();
    await pg.end();
    await db.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it('a successful command: its exit code, and one run recorded with duration and exit code', async () => {
    const res = await capsule([
      'exec',
      'dawn-dispatch',
      '--',
      NODE,
      '-e',
      'setTimeout(() => process.stdout.write("dispatched\\n"), 50)',
    ]);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout.toString()).toBe('dispatched\n');
    const [run] = await runsOf('dawn-dispatch');
    expect(run).toMatchObject({ status: 'success', exit_code: 0, message: null });
    expect(Number(run.duration_ms)).toBeGreaterThanOrEqual(50);
    expect(run.run_key).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.actor).toContain('@');
  });

  it('a failing command keeps its exit code; its output tail becomes the message when asked', async () => {
    const res = await capsule([
      'exec',
      'dawn-dispatch',
      '--output-tail',
      '8',
      '--',
      NODE,
      '-e',
      'console.error("token expired"); process.exit(7)',
    ]);
    expect(res.code).toBe(7);
    expect(res.stderr).toBe('token expired\n');
    expect((await runsOf('dawn-dispatch')).at(-1)).toMatchObject({
      status: 'error',
      exit_code: 7,
      message: 'expired\n',
    });
  });

  it('stdin, stdout and stderr pass through byte for byte, binary included', async () => {
    const input = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const echo =
      'process.stdin.pipe(process.stdout); process.stdin.on("end", () => process.stderr.write(Buffer.from([0, 255, 10])))';
    for (const extra of [[], ['--output-tail', '1k']]) {
      const res = await capsule(['exec', 'dawn-dispatch', ...extra, '--', NODE, '-e', echo], { input });
      expect(res.code).toBe(0);
      expect(res.stdout.equals(input)).toBe(true);
      expect([...res.stderrBytes]).toEqual([0, 255, 10]);
    }
  });

  it('forwards SIGTERM to the command and exits as it does; a command the signal kills exits 128 + n', async () => {
    const trap = start([
      'exec',
      'dawn-dispatch',
      '--',
      NODE,
      '-e',
      'process.on("SIGTERM", () => process.exit(42)); process.stdout.write("ready"); setInterval(() => {}, 1000)',
    ]);
    await until(() => Buffer.concat(trap.stdout).toString() === 'ready', 'the job to start');
    trap.child.kill('SIGTERM');
    expect((await trap.finished).code).toBe(42);
    expect((await runsOf('dawn-dispatch')).at(-1)).toMatchObject({ status: 'cancelled', exit_code: 42 });

    const plain = start([
      'exec',
      'dawn-dispatch',
      '--',
      NODE,
      '-e',
      'process.stdout.write("ready"); setInterval(() => {}, 1000)',
    ]);
    await until(() => Buffer.concat(plain.stdout).toString() === 'ready', 'the job to start');
    plain.child.kill('SIGHUP');
    expect((await plain.finished).code).toBe(128 + os.constants.signals.SIGHUP);
    expect((await runsOf('dawn-dispatch')).at(-1)).toMatchObject({ status: 'cancelled', exit_code: 129 });
  });

  it('--timeout stops the command and records a timeout', async () => {
    const res = await capsule([
      'exec',
      'dawn-dispatch',
      '--timeout',
      '1',
      '--',
      NODE,
      '-e',
      'setInterval(() => {}, 1000)',
    ]);
    expect(res.code).toBe(128 + os.constants.signals.SIGTERM);
    expect((await runsOf('dawn-dispatch')).at(-1)).toMatchObject({ status: 'timeout', exit_code: 143 });
  });

  it('--timeout stops what the command started too (its process group)', async () => {
    const pidFile = path.join(home, 'grandchild.pid');
    const res = await capsule([
      'exec',
      'dawn-dispatch',
      '--timeout',
      '1',
      '--',
      'sh',
      '-c',
      `sleep 60 & echo $! > ${pidFile}; wait`,
    ]);
    expect(res.code).toBe(128 + os.constants.signals.SIGTERM);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await until(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the background sleep to be gone');
  });

  it('--register changes only the fields given of a capsule that exists', async () => {
    await pg.query(`INSERT INTO capsules (slug, title, kind, mode) VALUES ('kept-kind', 'Kept', 'treasury', 'manual')`);
    const res = await capsule(['exec', 'kept-kind', '--register', '--schedule', '0 7 * * *', '--', NODE, '-e', '']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const { rows } = await pg.query(`SELECT title, kind, mode, schedule FROM capsules WHERE slug = 'kept-kind'`);
    expect(rows).toEqual([{ title: 'Kept', kind: 'treasury', mode: 'manual', schedule: '0 7 * * *' }]);
  });

  it('a command that does not exist exits 127 and is recorded as an error that says so', async () => {
    const res = await capsule(['exec', 'dawn-dispatch', '--', 'no-such-command-xyz']);
    expect(res.code).toBe(127);
    expect((await runsOf('dawn-dispatch')).at(-1)).toMatchObject({
      status: 'error',
      exit_code: 127,
      message: 'command not found: no-such-command-xyz',
    });
  });

  it('--register upserts the capsule first; --checksum records the sha256 of the file the job wrote', async () => {
    const file = path.join(home, 'artifact.bin');
    const res = await capsule([
      'exec',
      'fresh-digest',
      '--register',
      '--kind',
      'digest',
      '--schedule',
      '*/15 * * * *',
      '--checksum',
      file,
      '--',
      NODE,
      '-e',
      `require("fs").writeFileSync(${JSON.stringify(file)}, "abc")`,
    ]);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const [run] = await runsOf('fresh-digest');
    expect(run).toMatchObject({
      status: 'success',
      checksum: 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
  });

  it('a config file it cannot read: the job still runs, its report is spooled at once, nothing is sent', async () => {
    const broken = path.join(home, 'broken.json');
    writeFileSync(broken, '{ not json');
    const before = spooled();
    const res = await capsule(['exec', 'dawn-dispatch', '--', NODE, '-e', 'process.exit(3)'], {
      env: { CAPSULES_CONFIG: broken },
    });
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('is not JSON');
    expect(res.stderr).toContain('spooled');
    expect(res.stderr).not.toMatch(/cannot reach|invalid\.invalid/);
    const added = spooled().filter((file) => !before.includes(file));
    expect(added).toHaveLength(1);
    for (const file of added) rmSync(path.join(home, 'spool', file));
  });

  it('the API down during the run: the job still succeeds, the report is spooled, and two flushes at once record it once', async () => {
    const marker = path.join(home, 'go');
    const job = start([
      'exec',
      'dawn-dispatch',
      '--',
      NODE,
      '-e',
      `const fs = require("fs"); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(marker)})) { clearInterval(t); process.stdout.write("done"); } }, 20)`,
    ]);
    const before = (await runsOf('dawn-dispatch')).length;
    // Its start is recorded; then the API goes away before it ends.
    await until(async () => (await runsOf('dawn-dispatch')).length === before + 1, 'the start to be recorded');
    const runKey = (await runsOf('dawn-dispatch')).at(-1)!.run_key as string;
    await stopApi();
    writeFileSync(marker, '');
    const res = await job.finished;
    expect(res.code).toBe(0);
    expect(res.stdout.toString()).toBe('done');
    expect(res.stderr).toContain('connection refused');
    expect(res.stderr).toContain('spooled');
    expect(spooled()).toHaveLength(1);
    // While the API is away, a flush keeps the report and says so.
    expect(await capsule(['flush'])).toMatchObject({ code: 1 });
    expect(spooled()).toHaveLength(1);

    await startApi();
    const [a, b] = await Promise.all([capsule(['flush']), capsule(['flush'])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(`${a.stdout.toString()}${b.stdout.toString()}`).toMatch(/delivered 1/);
    expect(spooled()).toHaveLength(0);
    const withKey = (await runsOf('dawn-dispatch')).filter((r) => r.run_key === runKey);
    expect(withKey).toEqual([expect.objectContaining({ status: 'success', exit_code: 0 })]);
    expect(withKey[0].completed_at).not.toBeNull();
  });

  it('the API unreachable from the start: the run is recorded once, by the next exec', async () => {
    const down = { CAPSULES_URL: `http://127.0.0.1:${await freePort()}` };
    const res = await capsule(['exec', 'dawn-dispatch', '--', NODE, '-e', 'process.exit(3)'], { env: down });
    expect(res.code).toBe(3);
    expect(spooled()).toHaveLength(1);
    const before = (await runsOf('dawn-dispatch')).length;
    // The next exec (the API reachable again) delivers it along with its own run.
    expect((await capsule(['exec', 'dawn-dispatch', '--', NODE, '-e', ''])).code).toBe(0);
    expect(spooled()).toHaveLength(0);
    const after = await runsOf('dawn-dispatch');
    expect(after.slice(before).map((r) => [r.status, r.exit_code])).toEqual(
      expect.arrayContaining([
        ['error', 3],
        ['success', 0],
      ]),
    );
    expect(after).toHaveLength(before + 2);
  });

  it('read commands: ls, status, runs (paged) and schedule, as tables without colours when piped, or JSON', async () => {
    const ls = await capsule(['ls']);
    expect(ls.code).toBe(0);
    const table = ls.stdout.toString();
    expect(table.split('\n')[0]).toMatch(/^SLUG\s+KIND\s+STATE\s+LAST RUN\s+NEXT RUN\s+SUCCESS$/);
    expect(table).toMatch(/dawn-dispatch\s+dispatch\s+\w+/);
    expect(table).not.toContain('\u001b[');
    const json = JSON.parse((await capsule(['ls', '--json'])).stdout.toString());
    expect(json.find((c: { slug: string }) => c.slug === 'fresh-digest')).toMatchObject({
      kind: 'digest',
      state: 'up',
    });

    const status = (await capsule(['status', 'dawn-dispatch'])).stdout.toString();
    expect(status).toMatch(/^schedule:\s+0 6 \* \* \* \(UTC\)$/m);

    const first = JSON.parse((await capsule(['runs', 'dawn-dispatch', '--limit', '2', '--json'])).stdout.toString());
    expect(first.runs).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = JSON.parse(
      (
        await capsule(['runs', 'dawn-dispatch', '--limit', '2', '--cursor', first.next_cursor, '--json'])
      ).stdout.toString(),
    );
    expect(second.runs[0].id).toBeLessThan(first.runs[1].id);
    const page = (await capsule(['runs', 'dawn-dispatch', '--limit', '2'])).stdout.toString();
    expect(page).toContain(`more: capsule runs dawn-dispatch --cursor `);

    const schedule = JSON.parse(
      (await capsule(['schedule', 'dawn-dispatch', '--count', '3', '--json'])).stdout.toString(),
    );
    expect(schedule).toHaveLength(3);
    expect(schedule[0]).toEqual({
      at: expect.stringMatching(/T06:00:00\.000Z$/),
      local: expect.stringMatching(/T06:00:00\+00:00$/),
    });
  });

  it('errors are said in words with a non-zero exit: an unknown capsule, a bad key, a bad URL', async () => {
    const missing = await capsule(['status', 'no-such-capsule']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^capsule: the API refused GET \/api\/capsules\/no-such-capsule: 404/);
    const badKey = await capsule(['ls'], { env: { CAPSULES_API_KEY: 'wrong' } });
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toContain('401');
    const badUrl = await capsule(['ls'], { env: { CAPSULES_URL: 'ftp://x' } });
    expect(badUrl).toMatchObject({ code: 2, stderr: 'capsule: the API URL must be http:// or https://, not ftp:\n' });
    for (const res of [missing, badKey, badUrl]) expect(res.stderr).not.toMatch(/\n\s+at /);
    // An unknown capsule does not keep the job from running, nor its exit code.
    const job = await capsule(['exec', 'no-such-capsule', '--', NODE, '-e', 'process.exit(5)']);
    expect(job.code).toBe(5);
    expect(job.stderr).toMatch(/the run was not recorded: .*404/);
    expect(spooled()).toHaveLength(0);
  });
});
