import { Client } from 'pg';
import { TEST_DATABASE_PREFIX } from './database-names';

/** Drops this run's databases and stops the embedded server, if one was started. */
export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  const runId = process.env.TEST_PG_RUN_ID;
  if (adminUrl && runId) {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
        [`${TEST_DATABASE_PREFIX}${runId}`],
      );
      for (const { datname } of rows) {
        await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(datname)} WITH (FORCE)`);
      }
    } finally {
      await admin.end();
    }
  }
  await globalThis.__CAPSULES_TEST_PG__?.stop();
}
