import { revertMigrations, runMigrations } from '@app/database';
import { migrationSettings, runCommand, UsageError } from './command';

/**
 * Standalone migration command: `npm run migrate` (or `node dist/apps/api/src/migrate.js`).
 * Applies pending migrations under the advisory lock; `--revert N` reverts the
 * last N (`--revert all` every one). Uses DATABASE_URL, or the embedded server.
 */
runCommand('Migrate', async ({ config, databaseUrl, logger }) => {
  const options = migrationSettings(config, databaseUrl);
  const revertAt = process.argv.indexOf('--revert');
  if (revertAt >= 0) {
    const arg = process.argv[revertAt + 1] ?? '1';
    const steps = arg === 'all' ? Number.POSITIVE_INFINITY : Number(arg);
    if (!(steps >= 1)) throw new UsageError('--revert takes a positive number or "all"');
    const reverted = await revertMigrations(options, steps);
    logger.log(`reverted ${reverted} migration(s)`);
  } else {
    const { applied } = await runMigrations(options);
    logger.log(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply: the schema is up to date');
  }
});
