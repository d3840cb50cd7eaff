import { Client } from 'pg';

/** Every database the tests create starts with this. */
export const TEST_DATABASE_PREFIX = 'capsules_t_';

/** The same server URL with another database name. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Drops every database whose name starts with `prefix` (connections are closed by force). */
export async function dropDatabases(adminUrl: string, prefix: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

/**
 * Advisory lock every test run holds (shared) on the embedded test server
 * while it runs: only a run that can take it exclusively (no other run alive)
 * drops leftovers at setup or stops the server at teardown, so two runs on
 * one checkout do not pull the server or each other's databases away.
 */
const RUN_LOCK = '7311011530000000001';

export interface RunLock {
  /** Leaves the run; true when no other run holds the lock any more (the caller was the last). */
  release(): Promise<boolean>;
}

/** Joins the runs using the server at `adminUrl`; `whenAlone` runs first if no other run is alive. */
export async function joinTestRuns(adminUrl: string, whenAlone: () => Promise<void>): Promise<RunLock> {
  const lock = new Client({ connectionString: adminUrl, application_name: 'capsules-test-run' });
  lock.on('error', () => undefined); // the server may be stopped under an idle lock connection
  await lock.connect();
  const alone = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [RUN_LOCK]);
  if (alone.rows[0].ok) {
    try {
      await whenAlone();
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1::bigint)', [RUN_LOCK]);
    }
  }
  await lock.query('SELECT pg_advisory_lock_shared($1::bigint)', [RUN_LOCK]);
  return {
    async release() {
      try {
        await lock.query('SELECT pg_advisory_unlock_shared($1::bigint)', [RUN_LOCK]);
        const last = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [RUN_LOCK]);
        return last.rows[0].ok;
      } catch {
        return true;
      } finally {
        await lock.end().catch(() => undefined);
      }
    },
  };
}
