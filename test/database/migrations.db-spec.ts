import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, pendingMigrations, revertMigrations, runMigrations } from '@app/database';
import { MIGRATIONS } from '../../migrations';
import { createEmptyDatabase, type TestDatabase } from '../support/test-database';
import { until } from '../support/until';

const ALL = MIGRATIONS.map((m) => m.name);

async function withDataSource<T>(url: string, work: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = new DataSource(buildDataSourceOptions({ url, poolSize: 2 }));
  await ds.initialize();
  try {
    return await work(ds);
  } finally {
    await ds.destroy();
  }
}

async function relations(url: string): Promise<string[]> {
  return withDataSource(url, async (ds) => {
    const rows = await ds.query<{ name: string }[]>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v') ORDER BY 1`,
    );
    return rows.map((r) => r.name);
  });
}

describe('migrations', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createEmptyDatabase();
  });

  afterEach(async () => {
    await db.drop();
  });

  it('lists every migration file of the folder, in timestamp order', () => {
    const files = readdirSync(path.join(__dirname, '../../migrations'))
      .filter((f) => /^\d{13}-\w+\.ts$/.test(f))
      .sort();
    const fromFiles = files.map((f) => {
      const [stamp, name] = f.replace(/\.ts$/, '').split('-');
      return `${name}${stamp}`;
    });
    expect(ALL).toEqual(fromFiles);
  });

  it('apply on an empty database, then a second run is a no-op', async () => {
    const first = await runMigrations({ url: db.url });
    expect(first.applied).toEqual(ALL);
    const second = await runMigrations({ url: db.url });
    expect(second.applied).toEqual([]);
    expect(await relations(db.url)).toEqual(
      expect.arrayContaining(['capsules', 'capsule_runs', 'capsule_performance', 'scheduled_capsules']),
    );
    await withDataSource(db.url, async (ds) => expect(await pendingMigrations(ds)).toEqual([]));
  });

  it('two runners at once on a fresh database apply each migration exactly once', async () => {
    const options = { url: db.url };
    const [a, b] = await Promise.all([runMigrations(options), runMigrations(options)]);
    expect([...a.applied, ...b.applied].sort()).toEqual([...ALL].sort());
    const rows = await withDataSource(db.url, (ds) =>
      ds.query<{ name: string }[]>('SELECT name FROM schema_migrations ORDER BY id'),
    );
    expect(rows.map((r) => r.name)).toEqual(ALL);
  });

  it('roll all the way down and up again', async () => {
    const options = { url: db.url };
    await runMigrations(options);
    expect(await revertMigrations(options, Number.POSITIVE_INFINITY)).toBe(ALL.length);
    expect(await relations(db.url)).toEqual(['schema_migrations']);
    await withDataSource(db.url, async (ds) => expect(await pendingMigrations(ds)).toEqual(ALL));
    expect((await runMigrations(options)).applied).toEqual(ALL);
  });

  /**
   * Applies every migration but the newest, then runs `work` while another session holds the
   * migrations table (ACCESS EXCLUSIVE, in an open transaction `work` may commit).
   */
  async function withMigrationsTableLocked(work: (holder: Client) => Promise<void>): Promise<void> {
    await runMigrations({ url: db.url });
    expect(await revertMigrations({ url: db.url }, 1)).toBe(1);
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE');
      await work(holder);
    } finally {
      await holder.end();
    }
  }

  it('migrations ignore the statement timeout of the settings (a long index build is not cancelled)', async () => {
    // The holder keeps the migrations table, so the runner's first read waits far past 1 ms.
    let run: Promise<unknown> = Promise.resolve();
    try {
      await withMigrationsTableLocked(async (holder) => {
        const migrating = runMigrations({ url: db.url, statementTimeoutMs: 1, applicationName: 'migrate-behind-lock' });
        run = migrating.catch(() => undefined);
        await until(async () => {
          // pg_stat_activity is read once per transaction: drop the holder's snapshot each time.
          await holder.query('SELECT pg_stat_clear_snapshot()');
          const { rows } = await holder.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE application_name = 'migrate-behind-lock' AND wait_event_type = 'Lock'`,
          );
          return rows[0].n > 0;
        }, 'the migration to wait for the lock');
        await holder.query('COMMIT');
        expect((await migrating).applied).toEqual(ALL.slice(-1));
      });
    } finally {
      await run; // never left running into the next test's database
    }
  });

  it('a migration that cannot get a table lock within the lock timeout gives up and applies nothing', async () => {
    await withMigrationsTableLocked(async (holder) => {
      await expect(runMigrations({ url: db.url, lockTimeoutMs: 50 })).rejects.toThrow(/lock timeout/);
      await holder.query('COMMIT');
    });
    await withDataSource(db.url, async (ds) => expect(await pendingMigrations(ds)).toEqual(ALL.slice(-1)));
  });
});
