import { dropDatabases, TEST_DATABASE_PREFIX } from './database-names';

/** Drops this run's databases and stops the embedded server, if one was started. */
export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  const runId = process.env.TEST_PG_RUN_ID;
  if (adminUrl && runId) await dropDatabases(adminUrl, `${TEST_DATABASE_PREFIX}${runId}`);
  await globalThis.__CAPSULES_TEST_PG__?.stop();
}
