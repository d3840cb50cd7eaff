import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SCHEMA_FILE, schemaSnapshot } from '@app/database';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/** migrations/schema.sql is what the migrations build (like openapi.json is what the app serves). */
describe('schema snapshot', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('the committed migrations/schema.sql is the migrated schema (run `npm run schema` and commit after a migration)', async () => {
    const committed = readFileSync(path.resolve(__dirname, '../..', SCHEMA_FILE), 'utf8');
    expect(await schemaSnapshot(db.url)).toBe(committed);
  });

  it('holds every table, view, function and trigger the migrations make', async () => {
    const snapshot = await schemaSnapshot(db.url);
    for (const name of ['capsules', 'capsule_runs', 'capsule_versions', 'api_keys', 'readiness_probe']) {
      expect(snapshot).toContain(`CREATE TABLE ${name} (`);
    }
    expect(snapshot).toContain('CREATE VIEW capsule_performance AS');
    expect(snapshot).toContain('FUNCTION public.checksum_key(checksum text)');
    expect(snapshot).toMatch(/CREATE TRIGGER \w+ .* ON public\.capsule_runs/);
  });
});
