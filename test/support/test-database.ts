import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { databaseUrl, TEST_DATABASE_PREFIX } from './database-names';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through Jest (npm test), whose global setup sets it`);
  return value;
}

async function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: required('TEST_PG_ADMIN_URL') });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

async function create(template: string | undefined): Promise<TestDatabase> {
  const name = `${TEST_DATABASE_PREFIX}${required('TEST_PG_RUN_ID')}_${randomBytes(5).toString('hex')}`;
  await withAdmin((admin) =>
    admin.query(
      `CREATE DATABASE ${admin.escapeIdentifier(name)}${template ? ` TEMPLATE ${admin.escapeIdentifier(template)}` : ''}`,
    ),
  );
  return {
    name,
    url: databaseUrl(required('TEST_PG_ADMIN_URL'), name),
    drop: () =>
      withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/** A database of this file's own, cloned from the migrated template. */
export function createTestDatabase(): Promise<TestDatabase> {
  return create(required('TEST_PG_TEMPLATE'));
}

/** An empty database (no schema at all), for migration tests. */
export function createEmptyDatabase(): Promise<TestDatabase> {
  return create(undefined);
}
