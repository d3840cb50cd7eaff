import { dropDatabases, TEST_DATABASE_PREFIX } from './database-names';

/** Drops this run's databases; the last run using the embedded server stops it. */
export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  const runId = process.env.TEST_PG_RUN_ID;
  if (adminUrl && runId) await dropDatabases(adminUrl, `${TEST_DATABASE_PREFIX}${runId}`);
  const last = (await globalThis.__CAPSULES_TEST_RUN_LOCK__?.release()) ?? true;
  if (last) await globalThis.__CAPSULES_TEST_PG__?.stop();
}
