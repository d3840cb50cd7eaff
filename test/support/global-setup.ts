// Loaded by Jest outside its module mapper: relative imports only.
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../../libs/database/src/embedded-postgres';
import { runMigrations } from '../../libs/database/src/migration-runner';
import { databaseUrl, dropDatabases, joinTestRuns, type RunLock, TEST_DATABASE_PREFIX } from './database-names';

declare global {
  var __CAPSULES_TEST_PG__: EmbeddedPostgresServer | undefined;
  var __CAPSULES_TEST_RUN_LOCK__: RunLock | undefined;
}

/**
 * One PostgreSQL for the whole run: TEST_DATABASE_URL (a role allowed to
 * CREATE DATABASE), or an embedded server in .data/test-postgres tuned for
 * speed (no fsync: test data is disposable). The migrations build a template
 * database once; every test file clones it.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const server = await startEmbeddedPostgres({
      dataDir: process.env.TEST_PG_DATA_DIR ?? '.data/test-postgres',
      port: 54339,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
    });
    globalThis.__CAPSULES_TEST_PG__ = server;
    adminUrl = server.url('postgres');
    // Databases a killed earlier run left in the embedded test cluster, unless another run is alive.
    const url = adminUrl;
    globalThis.__CAPSULES_TEST_RUN_LOCK__ = await joinTestRuns(url, () => dropDatabases(url, TEST_DATABASE_PREFIX));
  }
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const template = `${TEST_DATABASE_PREFIX}${runId}_tpl`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(template)}`);
  } finally {
    await admin.end();
  }
  await runMigrations({ url: databaseUrl(adminUrl, template) });
  process.env.TEST_PG_ADMIN_URL = adminUrl;
  process.env.TEST_PG_TEMPLATE = template;
  process.env.TEST_PG_RUN_ID = runId;
}
