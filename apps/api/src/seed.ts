import { DataSource } from 'typeorm';
import { buildDataSourceOptions, runMigrations } from '@app/database';
import { migrationSettings, runCommand, UsageError } from './command';
import { seedDatabase } from './seed/seed-database';
import { DEFAULT_DAYS, DEFAULT_SEED, MAX_DAYS, type SeedOptions } from './seed/seed-runs';

const USAGE = `usage: node dist/apps/api/src/seed.js [--now ISO-instant] [--days 1-${MAX_DAYS}] [--seed integer]`;

/**
 * Sample data command: `npm run seed` (or `node dist/apps/api/src/seed.js`).
 * Applies pending migrations, then registers the old service's ten sample
 * capsules and a generated history of runs over the last 28 days (up to the
 * last full hour). Deterministic and idempotent: seeding again adds only runs
 * that became due since, never a duplicate. Uses DATABASE_URL, or the
 * embedded server. Exit codes: 0 done, 1 failed, 2 bad configuration or arguments.
 */
runCommand('Seed', async ({ config, databaseUrl, logger }) => {
  const options = parseArguments(process.argv.slice(2));
  const settings = {
    url: databaseUrl,
    poolSize: 2,
    connectionTimeoutMs: config.dbConnectionTimeoutMs,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    applicationName: 'capsules-api:seed',
  };
  const { applied } = await runMigrations(migrationSettings(config, databaseUrl));
  if (applied.length) logger.log(`applied: ${applied.join(', ')}`);
  const dataSource = new DataSource(buildDataSourceOptions(settings));
  await dataSource.initialize();
  try {
    const { window, capsules, runs } = await seedDatabase(dataSource, options);
    const registered = capsules.inserted + capsules.updated + capsules.unchanged;
    logger.log(
      `seeded ${registered} capsules (${capsules.inserted} new, ${capsules.updated} updated), ` +
        `${runs.inserted} runs (${runs.alreadyPresent} already present) ` +
        `from ${window.start.toISOString()} to ${window.end.toISOString()}`,
    );
  } finally {
    await dataSource.destroy();
  }
});

function parseArguments(args: string[]): SeedOptions {
  const options: SeedOptions = { now: new Date(), days: DEFAULT_DAYS, seed: DEFAULT_SEED };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (value === undefined) throw new UsageError(`${flag} needs a value\n${USAGE}`);
    if (flag === '--now') {
      options.now = new Date(value);
      if (Number.isNaN(options.now.getTime())) throw new UsageError(`--now: "${value}" is not an ISO instant`);
      if (options.now.getTime() > Date.now()) throw new UsageError('--now: runs cannot be seeded in the future');
    } else if (flag === '--days') {
      options.days = Number(value);
      if (!Number.isInteger(options.days) || options.days < 1 || options.days > MAX_DAYS) {
        throw new UsageError(`--days: "${value}" is not an integer from 1 to ${MAX_DAYS}`);
      }
    } else if (flag === '--seed') {
      options.seed = Number(value);
      if (!Number.isSafeInteger(options.seed)) throw new UsageError(`--seed: "${value}" is not an integer`);
    } else {
      throw new UsageError(`unknown argument "${flag}"\n${USAGE}`);
    }
  }
  return options;
}
