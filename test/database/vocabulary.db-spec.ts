import { Client } from 'pg';
import { ROLLUP_COUNTERS, RUN_OUTCOMES, RUN_STATUSES } from '@app/database';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The run-status vocabulary is declared once in code (libs/database/src/ledger-vocabulary.ts) and
 * spelled again in SQL by the migrations (a CHECK, the rollup counters, the triggers' success
 * and failure tests): they must agree, so a status added in one place and not the other fails here.
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

  it('each status moves its own counter in both rollups, and success and failure where RUN_OUTCOMES says', async () => {
    await client.query(`INSERT INTO capsules (slug, title, kind, mode) VALUES ('vocabulary', 'V', 'k', 'm')`);
    const counters = Object.values(ROLLUP_COUNTERS);
    for (const status of RUN_STATUSES) {
      await client.query(
        `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
         SELECT id, 'test', $1, now() - interval '1 minute', CASE WHEN $1 = 'running' THEN NULL ELSE now() END
         FROM capsules WHERE slug = 'vocabulary'`,
        [status],
      );
      const all = await client.query<Record<string, unknown>>(
        `SELECT r.* FROM capsule_run_rollups r JOIN capsules c ON c.id = r.capsule_id
         WHERE c.slug = 'vocabulary' AND r.grain = 'all'`,
      );
      const byRevision = await client.query<Record<string, unknown>>(
        `SELECT r.* FROM capsule_revision_rollups r JOIN capsules c ON c.id = r.capsule_id WHERE c.slug = 'vocabulary'`,
      );
      for (const table of ['capsule_runs', 'capsule_run_rollups', 'capsule_revision_rollups']) {
        await client.query(
          `DELETE FROM ${table} WHERE capsule_id = (SELECT id FROM capsules WHERE slug = 'vocabulary')`,
        );
      }
      const counted = (row: Record<string, unknown> | undefined) =>
        Object.fromEntries(counters.map((c) => [c, Number(row?.[c] ?? 0)]));
      const expected = Object.fromEntries(counters.map((c) => [c, c === ROLLUP_COUNTERS[status] ? 1 : 0]));
      expect([status, counted(all.rows[0])]).toEqual([status, expected]);
      expect([status, counted(byRevision.rows[0])]).toEqual([status, expected]);
      expect([status, all.rows[0]?.last_failure_at != null, all.rows[0]?.last_success_at != null]).toEqual([
        status,
        RUN_OUTCOMES[status] === 'failure',
        RUN_OUTCOMES[status] === 'success',
      ]);
    }
  });
});
