import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { Logger as PinoLogger } from 'pino';
import { type AppConfig, type Clock, createLogger, loadConfig } from '@app/common';
import { AppModule } from '../../apps/api/src/app.module';
import { configureApp, createHttpAdapter } from '../../apps/api/src/configure-app';
import { ResponseViolations } from './openapi-violations';

export interface AppOnUrl {
  app: NestFastifyApplication;
  dataSource: DataSource;
  /** A supertest agent; a request whose answer breaks the committed openapi.json fails. */
  http(): request.Agent;
  /** Closes the app; the database is the caller's. */
  close(): Promise<void>;
}

export interface AppOnUrlOptions {
  clock?: Clock;
  config?: Partial<AppConfig>;
  logger?: PinoLogger;
}

/**
 * The real application (same module, adapter and configureApp as main.ts and
 * createTestApp) on a database the caller provides and owns, e.g. one on an
 * embedded server a test starts and stops itself. Close it in afterAll.
 */
export async function createAppOnUrl(databaseUrl: string, options: AppOnUrlOptions = {}): Promise<AppOnUrl> {
  // No rate limits unless a test asks for them (the suites send many requests from one address);
  // no alert detector, delivery or slot closer either (their sessions would blur the tests that
  // count the service's sessions), unless a test asks for them with alertsPollIntervalMs or
  // slotsPollIntervalMs (or window bases: windowBasesPollIntervalMs).
  // A test that asks for production gets production's defaults (the SSRF guard among them).
  const config: AppConfig = {
    ...loadConfig({ NODE_ENV: options.config?.nodeEnv ?? 'test' }),
    dbPoolSize: 4,
    rateLimitPerIp: 0,
    rateLimitPerKey: 0,
    alertsPollIntervalMs: 0,
    slotsPollIntervalMs: 0,
    windowBasesPollIntervalMs: 0,
    ...options.config,
  };
  const logger =
    options.logger ?? createLogger({ logLevel: 'silent', logFormat: 'json' }, {}, { write: () => undefined });
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot({ config, databaseUrl, clock: options.clock, logger })],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config, logger), {
    logger: false,
  });
  configureApp(app, config);
  // Every answer is checked against the committed openapi.json (test/support/openapi-violations.ts).
  const violations = new ResponseViolations();
  violations.hook(app.getHttpAdapter().getInstance());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    dataSource: app.get(DataSource),
    http: () => request.agent(app.getHttpServer()).use((test: request.Test) => violations.attach(test)),
    close: async () => {
      try {
        await app.close();
      } finally {
        violations.close();
      }
    },
  };
}
