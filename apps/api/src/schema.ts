import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { runMigrations, SCHEMA_FILE, schemaSnapshot } from '@app/database';
import { migrationSettings, runCommand } from './command';

/**
 * `npm run schema`: migrates a fresh, temporary database on the configured
 * server (the embedded one without DATABASE_URL), writes its schema to
 * migrations/schema.sql and drops it. A db test fails when the committed file
 * differs from what the migrations build.
 */
runCommand('schema', async ({ config, databaseUrl, logger }) => {
  const name = `capsules_schema_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
    try {
      const url = new URL(databaseUrl);
      url.pathname = `/${name}`;
      await runMigrations(migrationSettings(config, url.toString()));
      writeFileSync(SCHEMA_FILE, await schemaSnapshot(url.toString()));
      logger.log(`wrote ${SCHEMA_FILE}`);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
});
