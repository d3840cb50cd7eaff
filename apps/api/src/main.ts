import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as PinoLogger } from 'pino';
import { ApiKeysService, authStartupVerdict, parseConfiguredApiKeys } from '@app/auth';
import {
  type AppConfig,
  bootLogger,
  ConfigError,
  createLogger,
  databaseErrorCode,
  isDatabaseUnavailable,
  Lifecycle,
  loadConfig,
  STUCK_CLOSE_GRACE_MS,
} from '@app/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedPostgresError, locateDatabase, runMigrations, type DatabaseLocation } from '@app/database';
import { AppModule } from './app.module';
import { databaseLocationConfig, migrationSettings } from './command';
import { configureApp, createHttpAdapter } from './configure-app';
import { SERVICE_NAME, SERVICE_VERSION } from './service-info';

/**
 * Boot: config → database (DATABASE_URL or the embedded server) → migrations
 * (under an advisory lock) → API keys check → HTTP. Shutdown on SIGTERM or
 * SIGINT: readiness turns 503, the listener closes (new connections are
 * refused), in-flight requests finish within SHUTDOWN_DRAIN_MS (then their
 * connections are cut), the pool closes, then the embedded server (if any)
 * stops.
 */
async function bootstrap(): Promise<void> {
  let config;
  try {
    // API key entries are @app/auth's to parse; a bad one is reported with the configuration's other problems.
    config = loadConfig(process.env, { stdoutIsTerminal: process.stdout.isTTY, checks: [parseConfiguredApiKeys] });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config, { service: SERVICE_NAME, version: SERVICE_VERSION });
  const log = logger.child({ context: 'Bootstrap' });

  let database: DatabaseLocation | undefined;
  let app: NestFastifyApplication | undefined;
  let stopping = false;
  const stop = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    // Nothing started yet (e.g. the embedded PostgreSQL failed to): the error said it all.
    if (app || database) log.info(`${reason}: shutting down (drain up to ${config.shutdownDrainMs} ms)`);
    // Each step runs even if the one before failed: a stuck drain must not leave PostgreSQL running.
    const step = async (what: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        log.error({ err: error }, `${what} failed`);
        code = code || 1;
      }
    };
    const started = app;
    if (started) await step('shutdown', () => drainAndClose(started, config, log));
    const embedded = database?.embedded;
    if (embedded && !embedded.adopted) {
      await step('stopping the embedded PostgreSQL', async () => {
        await embedded.stop();
        log.info('embedded PostgreSQL stopped');
      });
    }
    logger.flush();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        log.warn(`${signal} again: exiting now`);
        process.exit(1);
      }
      void stop(signal, 0);
    });
  }
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception');
    void stop('uncaught exception', 1);
  });
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: reason }, 'unhandled rejection');
    void stop('unhandled rejection', 1);
  });

  try {
    database = await locateDatabase(databaseLocationConfig(config), (message) => log.info(message));
    if (config.migrateOnBoot) {
      const { applied } = await runMigrations(migrationSettings(config, database.url));
      log.info(applied.length ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date');
    }
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ config, databaseUrl: database.url, logger }),
      createHttpAdapter(config, logger),
      // Errors reach the catch below (Nest would exit on its own); until configureApp hands Nest
      // the app's logger, its warnings and errors are pino lines.
      { logger: bootLogger(logger), abortOnError: false },
    );
    configureApp(app, config);
    const keys = app.get(ApiKeysService);
    const verdict = authStartupVerdict(config, {
      environmentKeys: keys.environmentKeys.length,
      databaseKeys: await keys.countDatabaseKeys(),
    });
    log[verdict.level](verdict.message);
    if (!verdict.start) return void (await stop('no API keys', 2));
    await app.listen({ port: config.port, host: config.host });
    log.info(`Capsules API listening on http://${config.host}:${config.port} (Swagger UI at /docs)`);
  } catch (error) {
    // The embedded server's failures are one line with the reason and what to do: no stack trace, and
    // no context binding (LOG_FORMAT=pretty would print it on a second line).
    if (error instanceof EmbeddedPostgresError) logger.error(error.message);
    else if (isDatabaseUnavailable(error)) logger.error(startupDatabaseMessage(error));
    else log.error({ err: error }, 'startup failed');
    await stop('startup failed', 1);
  }
}

/**
 * Readiness turns 503 at once. After SHUTDOWN_DELAY_MS (still serving, so
 * load balancers that poll readiness stop routing here) the listener closes
 * and the app waits for in-flight requests; past SHUTDOWN_DRAIN_MS their
 * connections are cut, and past another 5 s the close is abandoned (exit 1).
 */
async function drainAndClose(
  app: NestFastifyApplication,
  { shutdownDelayMs, shutdownDrainMs }: Pick<AppConfig, 'shutdownDelayMs' | 'shutdownDrainMs'>,
  log: PinoLogger,
): Promise<void> {
  app.get(Lifecycle).beginDrain();
  if (shutdownDelayMs > 0) {
    log.info(`readiness is 503; serving ${shutdownDelayMs} ms more before closing the listener`);
    await sleep(shutdownDelayMs);
  }
  const server = app.getHttpServer();
  app.get(Lifecycle).beginClose();
  const cut = setTimeout(() => {
    log.warn(`in-flight requests still running after ${shutdownDrainMs} ms: closing their connections`);
    server.closeAllConnections();
  }, shutdownDrainMs);
  let abandon: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      app.close().then(() => log.info('HTTP server closed, database pool closed')),
      new Promise<never>((_, reject) => {
        abandon = setTimeout(
          () => reject(new Error('the app did not close within the drain (a database call is stuck)')),
          shutdownDrainMs + STUCK_CLOSE_GRACE_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(cut);
    clearTimeout(abandon);
  }
}

void bootstrap();

/**
 * One line for a boot that found no database to work with: what happened (the driver's code, never
 * its text: it may hold addresses) and what to do.
 */
function startupDatabaseMessage(error: unknown): string {
  const code = databaseErrorCode(error) ?? 'no answer';
  return (
    `startup failed: the database is unavailable (${code}). Check DATABASE_URL and that PostgreSQL is ` +
    'running and accepts this role; the process exits so its supervisor can start it again.'
  );
}
