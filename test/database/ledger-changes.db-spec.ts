import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The ledger change counter (ADR 15) labels analytics answers: a write that can change one and
 * does not move it would let a client keep a stale answer (a 304 where a 200 was due).
 */
describe('ledger change counter', () => {
  let db: TestDatabase;
  let client: Client;
  let capsuleId: number;

  const version = async (c: Client = client) =>
    BigInt((await c.query<{ v: string }>('SELECT sum(changes)::text AS v FROM ledger_changes')).rows[0].v);

  /** Runs `statement` and expects the counter to have moved. */
  const moves = async (statement: string, params: unknown[] = []) => {
    const before = await version();
    await client.query(statement, params);
    expect(await version()).toBeGreaterThan(before);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ id: number }>(
      `INSERT INTO capsules (slug, title, kind, mode, schedule) VALUES ('counted', 'C', 'digest', 'automated', '0 * * * *')
       RETURNING id`,
    );
    capsuleId = rows[0].id;
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('moves with every write to the tables analytics answers are derived from', async () => {
    await moves(`INSERT INTO capsules (slug, title, kind, mode) VALUES ('other', 'O', 'digest', 'automated')`);
    await moves(`UPDATE capsules SET title = 'Counted' WHERE id = $1`, [capsuleId]); // and a new version row
    await moves(
      `INSERT INTO capsule_runs (capsule_id, actor, status, started_at) VALUES ($1, 'cron', 'running', now())`,
      [capsuleId],
    );
    await moves(`UPDATE capsule_runs SET status = 'success', completed_at = now() WHERE capsule_id = $1`, [capsuleId]);
    await moves(`INSERT INTO capsule_slots (capsule_id, at, revision, outcome) VALUES ($1, now(), 1, 'missed')`, [
      capsuleId,
    ]);
    await moves(`DELETE FROM capsule_slots WHERE capsule_id = $1`, [capsuleId]);
    await moves(`DELETE FROM capsule_runs WHERE capsule_id = $1`, [capsuleId]);
    await moves(`DELETE FROM capsules WHERE slug = 'other'`);
  });

  it('does not move for a statement that changes no row', async () => {
    const before = await version();
    await client.query(`UPDATE capsules SET title = 'x' WHERE slug = 'nobody'`);
    await client.query(`DELETE FROM capsule_runs WHERE capsule_id = -1`);
    await client.query(
      `INSERT INTO capsules (slug, title, kind, mode) VALUES ('counted', 'C', 'digest', 'automated')
       ON CONFLICT (slug) DO NOTHING`,
    );
    expect(await version()).toBe(before);
  });

  it('counts each part apart: slots move the slots part only', async () => {
    const parts = async () =>
      Object.fromEntries(
        (
          await client.query<{ part: string; v: string }>(
            'SELECT part, sum(changes)::text AS v FROM ledger_changes GROUP BY part',
          )
        ).rows.map((r) => [r.part, BigInt(r.v)]),
      );
    const before = await parts();
    await client.query(
      `INSERT INTO capsule_slots (capsule_id, at, revision, outcome) VALUES ($1, now(), 1, 'missed')`,
      [capsuleId],
    );
    const after = await parts();
    expect(after).toEqual({ ...before, slots: before.slots + 1n });
  });

  it('moves once per statement, not once per row', async () => {
    const before = await version();
    await client.query(
      `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
       SELECT $1, 'batch', 'success', now() - i * interval '1 minute', now() FROM generate_series(1, 100) i`,
      [capsuleId],
    );
    // The insert, plus what its triggers wrote to other source tables (none here).
    expect(await version()).toBe(before + 1n);
  });

  it('does not make concurrent writers wait for each other', async () => {
    const a = new Client({ connectionString: db.url });
    const b = new Client({ connectionString: db.url });
    await a.connect();
    await b.connect();
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      // Consecutive transaction ids bump different stripes: the second writer is not queued
      // behind the first's uncommitted bump (a wait would fail on the lock timeout).
      await b.query(`SET LOCAL lock_timeout = '2s'`);
      await a.query(`INSERT INTO capsules (slug, title, kind, mode) VALUES ('a-writer', 'A', 'digest', 'automated')`);
      await b.query(`INSERT INTO capsules (slug, title, kind, mode) VALUES ('b-writer', 'B', 'digest', 'automated')`);
      await a.query('COMMIT');
      await b.query('COMMIT');
    } finally {
      await a.end();
      await b.end();
    }
  });
});
