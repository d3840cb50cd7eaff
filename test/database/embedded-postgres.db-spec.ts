import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '@app/database';

/**
 * The embedded default on a cluster of its own: data kept across restarts,
 * a stale lock file from a crash cleaned up, a server left running reused.
 */
describe('embedded PostgreSQL', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'capsules-embedded-'));
  const dataDir = path.join(root, 'postgres');
  // mkdtemp makes a private directory; as root, the postgres OS user must reach the cluster.
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
