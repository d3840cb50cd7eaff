import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { type AppConfig, type Clock, loadConfig } from '@app/common';
import { AppModule } from '../../apps/api/src/app.module';
import { configureApp, createHttpAdapter } from '../../apps/api/src/configure-app';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface TestApp {
  app: NestFastifyApplication;
  db: TestDatabase;
  dataSource: DataSource;
  http(): request.Agent;
  close(): Promise<void>;
}

/**
 * The real application (same module, adapter and configureApp as main.ts) on
 * a database of its own. Close it in afterAll.
 */
export async function createTestApp(options: { clock?: Clock; config?: Partial<AppConfig> } = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const config: AppConfig = { ...loadConfig({ NODE_ENV: 'test' }), dbPoolSize: 4, ...options.config };
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot({ config, databaseUrl: db.url, clock: options.clock })],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { logger: false });
  configureApp(app, config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    db,
    dataSource: app.get(DataSource),
    http: () => request.agent(app.getHttpServer()),
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}
