import { Client } from 'pg';
import { DataSource, type Migration } from 'typeorm';
import { buildDataSourceOptions, type DatabaseSettings } from './data-source-options';

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

/** Connections of a migration run: its advisory-lock connection and a pool of this many. */
const MIGRATION_POOL_SIZE = 2;
/** The most connections one migration run holds (count them when sizing max_connections). */
export const MIGRATION_CONNECTIONS = MIGRATION_POOL_SIZE + 1;

/**
 * How long a migration statement waits for a table lock when the settings do not say (the app and
 * its commands pass MIGRATION_LOCK_TIMEOUT_MS, whose default is the same 10 s).
 */
const DEFAULT_MIGRATION_LOCK_TIMEOUT_MS = 10_000;

/**
 * Applies pending migrations while holding `pg_advisory_lock` on a dedicated
 * connection. A second runner blocks on the lock, then finds nothing to do.
 * Migrations run without a statement timeout, whatever `settings` says: an
 * index build or a backfill on a large ledger takes as long as it takes, and
 * cancelling it half-way through a release helps no one. Waiting for a table
 * lock is bounded (`lockTimeoutMs`, default 10 s): a migration queued behind a
 * long transaction would otherwise hold up every query on that table; it
 * fails instead (its transaction rolls back) and the release can be retried.
 */
export async function runMigrations(settings: DatabaseSettings): Promise<MigrationResult> {
  return withMigrationLock(settings, async (dataSource) => {
    const applied: Migration[] = await dataSource.runMigrations({ transaction: 'each' });
    return { applied: applied.map((m) => m.name) };
  });
}

/** Reverts up to `steps` applied migrations, newest first; returns how many it reverted. */
export async function revertMigrations(settings: DatabaseSettings, steps: number): Promise<number> {
  return withMigrationLock(settings, async (dataSource) => {
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
  settings: DatabaseSettings,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const applicationName = settings.applicationName ?? 'capsules-api:migrate';
  const lockClient = new Client({
    connectionString: settings.url,
    application_name: applicationName,
    connectionTimeoutMillis: settings.connectionTimeoutMs ?? 5_000,
  });
  await lockClient.connect();
  const dataSource = new DataSource(
    buildDataSourceOptions({
      ...settings,
      applicationName,
      poolSize: MIGRATION_POOL_SIZE,
      statementTimeoutMs: 0,
      lockTimeoutMs: settings.lockTimeoutMs ?? DEFAULT_MIGRATION_LOCK_TIMEOUT_MS,
    }),
  );
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
