import { Client } from 'pg';
import { FAILED_RUN_STATUSES, ROLLUP_COUNTERS, RUN_STATUSES } from '@app/database';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The run-status vocabulary is declared once in code (libs/database/src/ledger-vocabulary.ts) and
 * spelled again in SQL by the migrations (a CHECK, the rollup counters, the triggers' failure
 * test): they must agree, so a status added in one place and not the other fails here.
 */
describe('run-status vocabulary: the code and the database agree', () => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('the CHECK on capsule_runs.status allows exactly RUN_STATUSES', async () => {
    const { rows } = await client.query<{ definition: string }>(
      `SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conname = 'capsule_runs_status_valid'`,
    );
    const allowed = [...rows[0].definition.matchAll(/'(\w+)'::text/g)].map((m) => m[1]).sort();
    expect(allowed).toEqual([...RUN_STATUSES].sort());
  });

  it.each(['capsule_run_rollups', 'capsule_revision_rollups'])(
    'every status has its counter in %s, and no counter is without a status',
    async (table) => {
      const { rows } = await client.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns
         WHERE table_name = $1 AND column_name LIKE '%\\_runs' AND column_name <> 'total_runs'`,
        [table],
      );
      expect(rows.map((r) => r.column_name).sort()).toEqual(Object.values(ROLLUP_COUNTERS).sort());
    },
  );

  it('the rollups count a failure exactly where FAILED_RUN_STATUSES says (last_failure_at)', async () => {
    await client.query(`INSERT INTO capsules (slug, title, kind, mode) VALUES ('vocabulary', 'V', 'k', 'm')`);
    for (const status of RUN_STATUSES) {
      await client.query(
        `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
         SELECT id, 'test', $1, now() - interval '1 minute', CASE WHEN $1 = 'running' THEN NULL ELSE now() END
         FROM capsules WHERE slug = 'vocabulary'`,
        [status],
      );
      const { rows } = await client.query<{ failed: boolean }>(
        `SELECT r.last_failure_at IS NOT NULL AS failed FROM capsule_run_rollups r JOIN capsules c ON c.id = r.capsule_id
         WHERE c.slug = 'vocabulary' AND r.grain = 'all'`,
      );
      await client.query(
        `DELETE FROM capsule_runs WHERE capsule_id = (SELECT id FROM capsules WHERE slug = 'vocabulary')`,
      );
      await client.query(
        `DELETE FROM capsule_run_rollups WHERE capsule_id = (SELECT id FROM capsules WHERE slug = 'vocabulary')`,
      );
      expect([status, rows[0]?.failed ?? false]).toEqual([status, FAILED_RUN_STATUSES.includes(status)]);
    }
  });
});
