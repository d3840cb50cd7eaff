import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from './test-database';
import { type AppOnUrl, type AppOnUrlOptions, createAppOnUrl } from './app-on-url';

export interface TestApp extends AppOnUrl {
  db: TestDatabase;
}

/**
 * The real application (same module, adapter and configureApp as main.ts) on
 * a database of its own, cloned from the migrated template. Close it in afterAll.
 */
export async function createTestApp(options: AppOnUrlOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const app = await createAppOnUrl(db.url, options);
  return {
    ...app,
    db,
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}

/** Makes the app listen on a free loopback port, for tests that write raw bytes to a socket. */
export async function listenOnLoopback(t: TestApp): Promise<number> {
  await t.app.listen(0, '127.0.0.1');
  return (t.app.getHttpServer().address() as AddressInfo).port;
}
