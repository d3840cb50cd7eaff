import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@app/common';
import { buildDataSourceOptions, locateDatabase, revertMigrations, runMigrations } from '@app/database';

/**
 * Standalone migration command: `npm run migrate` (or `node dist/apps/api/src/migrate.js`).
 * Applies pending migrations under the advisory lock; `--revert N` reverts the
 * last N (`--revert all` every one). Uses DATABASE_URL, or the embedded server.
 */
async function main(): Promise<void> {
  const logger = new Logger('Migrate');
  const config = loadConfig();
  const database = await locateDatabase(
    { databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedPort: config.embeddedPostgresPort },
    (message) => logger.log(message),
  );
  const options = buildDataSourceOptions({ url: database.url });
  try {
    const revertAt = process.argv.indexOf('--revert');
    if (revertAt >= 0) {
      const arg = process.argv[revertAt + 1] ?? '1';
      const steps = arg === 'all' ? Number.POSITIVE_INFINITY : Number(arg);
      if (!(steps >= 1)) throw new Error('--revert takes a positive number or "all"');
      const reverted = await revertMigrations(options, steps);
      logger.log(`reverted ${reverted} migration(s)`);
    } else {
      const { applied } = await runMigrations(options);
      logger.log(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply: the schema is up to date');
    }
  } finally {
    if (database.embedded && !database.embedded.adopted) await database.embedded.stop();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  new Logger('Migrate').error(message);
  process.exit(1);
});
