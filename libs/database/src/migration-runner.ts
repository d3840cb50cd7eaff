import { Client } from 'pg';
import { DataSource, type DataSourceOptions, type Migration } from 'typeorm';

/**
 * Key of the session-level advisory lock that serialises migration runs:
 * the first 8 bytes of sha256("capsules-api:migrations") as a signed bigint.
 * Every runner (app boot, `npm run migrate`, tests) takes the same lock, so
 * replicas booting at once apply each migration exactly once.
 */
export const MIGRATION_LOCK_KEY = '-865257024140528395';

export interface MigrationResult {
  applied: string[];
}

/**
 * Applies pending migrations while holding `pg_advisory_lock` on a dedicated
 * connection. A second runner blocks on the lock, then finds nothing to do.
 */
export async function runMigrations(options: DataSourceOptions): Promise<MigrationResult> {
  return withMigrationLock(options, async (dataSource) => {
    const applied: Migration[] = await dataSource.runMigrations({ transaction: 'each' });
    return { applied: applied.map((m) => m.name) };
  });
}

/** Reverts up to `steps` applied migrations, newest first; returns how many it reverted. */
export async function revertMigrations(options: DataSourceOptions, steps: number): Promise<number> {
  return withMigrationLock(options, async (dataSource) => {
    let reverted = 0;
    while (reverted < steps && (await countApplied(dataSource)) > 0) {
      await dataSource.undoLastMigration({ transaction: 'each' });
      reverted++;
    }
    return reverted;
  });
}

/** Names of the migrations that are listed but not yet applied. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const tableName = dataSource.options.migrationsTableName ?? 'migrations';
  const exists = await dataSource.query<{ present: boolean }[]>('SELECT to_regclass($1) IS NOT NULL AS present', [
    tableName,
  ]);
  const applied = new Set<string>();
  if (exists[0]?.present) {
    const rows = await dataSource.query<{ name: string }[]>(`SELECT name FROM "${tableName}"`);
    rows.forEach((r) => applied.add(r.name));
  }
  return dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
}

async function countApplied(dataSource: DataSource): Promise<number> {
  const tableName = dataSource.options.migrationsTableName ?? 'migrations';
  const rows = await dataSource.query<{ n: number }[]>(
    `SELECT CASE WHEN to_regclass($1) IS NULL THEN 0 ELSE (SELECT count(*)::int FROM "${tableName}") END AS n`,
    [tableName],
  );
  return rows[0]?.n ?? 0;
}

async function withMigrationLock<T>(
  options: DataSourceOptions,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  if (options.type !== 'postgres' || !options.url) {
    throw new Error('Migrations need a postgres DataSource with a url');
  }
  const lockClient = new Client({ connectionString: options.url, application_name: 'capsules-api:migrate' });
  await lockClient.connect();
  const dataSource = new DataSource({ ...options, poolSize: 2 });
  try {
    await lockClient.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await dataSource.initialize();
    return await work(dataSource);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await lockClient.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockClient.end();
  }
}
