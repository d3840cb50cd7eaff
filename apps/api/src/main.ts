import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, loadConfig } from '@app/common';
import { buildDataSourceOptions, locateDatabase, runMigrations, type DatabaseLocation } from '@app/database';
import { AppModule } from './app.module';
import { configureApp, createHttpAdapter } from './configure-app';

/**
 * Boot: config → database (DATABASE_URL or the embedded server) → migrations
 * (under an advisory lock) → HTTP. Shutdown on SIGTERM/SIGINT: the API
 * stops taking requests and drains, the pool closes, then the embedded
 * server (if any) stops.
 */
async function bootstrap(): Promise<void> {
  const logger = new Logger('Bootstrap');
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error(error.message);
      process.exit(2);
    }
    throw error;
  }

  let database: DatabaseLocation | undefined;
  let app: NestFastifyApplication | undefined;
  let stopping = false;
  const stop = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${reason}: shutting down`);
    try {
      await app?.close();
      if (database?.embedded) {
        await database.embedded.stop();
        logger.log('embedded PostgreSQL stopped');
      }
    } catch (error) {
      logger.error(`shutdown failed: ${(error as Error).message}`);
      code = code || 1;
    }
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        logger.warn(`${signal} again: exiting now`);
        process.exit(1);
      }
      void stop(signal, 0);
    });
  }
  process.on('uncaughtException', (error) => {
    logger.error(`uncaught exception: ${error.stack ?? error.message}`);
    void stop('uncaught exception', 1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.error(`unhandled rejection: ${String(reason)}`);
    void stop('unhandled rejection', 1);
  });

  try {
    database = await locateDatabase(
      { databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedPort: config.embeddedPostgresPort },
      (message) => logger.log(message),
    );
    if (config.migrateOnBoot) {
      const { applied } = await runMigrations(buildDataSourceOptions({ url: database.url }));
      logger.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date');
    }
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ config, databaseUrl: database.url }),
      createHttpAdapter(config),
      { logger: config.logLevel === 'silent' ? false : ['fatal', 'error', 'warn', 'log'] },
    );
    configureApp(app, config);
    await app.listen({ port: config.port, host: config.host });
    logger.log(`Capsules API listening on http://${config.host}:${config.port} (Swagger UI at /docs)`);
  } catch (error) {
    logger.error(`startup failed: ${(error as Error).message}`);
    await stop('startup failed', 1);
  }
}

void bootstrap();
