import 'reflect-metadata';
import { parseConfiguredApiKeys } from '@app/auth';
import { type AppConfig, ConfigError, loadConfig } from '@app/common';
import { type DatabaseLocationConfig, type DatabaseSettings, locateDatabase } from '@app/database';

/** A bad command line: exit code 2, like a bad configuration. */
export class UsageError extends Error {}

/** Commands talk on stderr, so stdout carries only their output (a new key, a listing). */
export interface CommandLogger {
  log(message: string): void;
  error(message: string): void;
}

function stderrLogger(name: string): CommandLogger {
  const write = (level: string, message: string) =>
    process.stderr.write(`${new Date().toISOString()} ${level} [${name}] ${message}\n`);
  return { log: (message) => write('info', message), error: (message) => write('error', message) };
}

/** How every command and the app's boot run migrations against `url`. */
export function migrationSettings(config: AppConfig, url: string): DatabaseSettings {
  return { url, connectionTimeoutMs: config.dbConnectionTimeoutMs, lockTimeoutMs: config.migrationLockTimeoutMs };
}

/** Where the configuration says the database is (DATABASE_URL, or the embedded server's settings). */
export function databaseLocationConfig(config: AppConfig): DatabaseLocationConfig {
  return { databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedPort: config.embeddedPostgresPort };
}

export interface CommandContext {
  config: AppConfig;
  /** DATABASE_URL, or the embedded server's URL (started, or adopted from a running `npm start`). */
  databaseUrl: string;
  logger: CommandLogger;
}

/**
 * The frame of every standalone command (migrate, seed, apikey, openapi):
 * config, the database, the work, then the embedded server stopped again if
 * the command started it. Exit codes: 0 done, 1 failed, 2 bad configuration
 * or arguments.
 */
export function runCommand(name: string, work: (context: CommandContext) => Promise<void>): void {
  const logger = stderrLogger(name);
  const run = async () => {
    // Key entries are checked by every command, as by the app's boot (exit 2 before any database work).
    const config = loadConfig(process.env, { checks: [parseConfiguredApiKeys] });
    const database = await locateDatabase(databaseLocationConfig(config), (message) => logger.log(message));
    try {
      await work({ config, databaseUrl: database.url, logger });
    } finally {
      if (database.embedded && !database.embedded.adopted) await database.embedded.stop();
    }
  };
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      logger.error(message);
      process.exit(error instanceof ConfigError || error instanceof UsageError ? 2 : 1);
    },
  );
}
