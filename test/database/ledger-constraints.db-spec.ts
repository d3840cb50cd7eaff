import { DataSource, QueryFailedError } from 'typeorm';
import { buildDataSourceOptions } from '@app/database';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/** The schema refuses what the API would refuse, whatever writes to it. */
describe('ledger constraints', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let capsuleId: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = new DataSource(buildDataSourceOptions({ url: db.url, poolSize: 2 }));
    await ds.initialize();
    const rows: { id: number }[] = await ds.query(
      `INSERT INTO capsules (slug, title, kind, mode) VALUES ('c', 'C', 'k', 'm') RETURNING id`,
    );
    capsuleId = rows[0].id;
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  async function rejects(sql: string, params: unknown[], constraint: string | RegExp) {
    let error: unknown;
    try {
      await ds.query(sql, params);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QueryFailedError);
    const message = `${(error as { constraint?: string }).constraint ?? ''} ${(error as Error).message}`;
    expect(message).toMatch(constraint);
  }

  const insertRun = (columns: string, values: string) =>
    `INSERT INTO capsule_runs (capsule_id, ${columns}) VALUES ($1, ${values})`;

  it.each([
    [
      'a slug with capitals',
      `INSERT INTO capsules (slug, title, kind, mode) VALUES ('Bad', 't', 'k', 'm')`,
      'capsules_slug_format',
    ],
    [
      'a duplicate slug',
      `INSERT INTO capsules (slug, title, kind, mode) VALUES ('c', 't', 'k', 'm')`,
      'capsules_slug_key',
    ],
    [
      'an empty title',
      `INSERT INTO capsules (slug, title, kind, mode) VALUES ('x1', '', 'k', 'm')`,
      'capsules_title_length',
    ],
    [
      'an unknown capsule status',
      `INSERT INTO capsules (slug, title, kind, mode, status) VALUES ('x2', 't', 'k', 'm', 'gone')`,
      'capsules_status_valid',
    ],
    [
      'a negative grace',
      `INSERT INTO capsules (slug, title, kind, mode, grace_seconds) VALUES ('x3', 't', 'k', 'm', -1)`,
      'capsules_grace_range',
    ],
  ])('capsules refuse %s', async (_label, sql, constraint) => {
    await rejects(sql, [], constraint);
  });

  it.each([
    [
      'an unknown run status',
      insertRun('actor, status, completed_at', `'a', 'done', now()`),
      'capsule_runs_status_valid',
    ],
    ['a finished run without completed_at', insertRun('actor, status', `'a', 'success'`), 'capsule_runs_completion'],
    [
      'a running run with completed_at',
      insertRun('actor, status, completed_at', `'a', 'running', now()`),
      'capsule_runs_completion',
    ],
    [
      'completed before started',
      insertRun('actor, status, started_at, completed_at', `'a', 'success', now(), now() - interval '1 second'`),
      'capsule_runs_completed_after_start',
    ],
    ['an empty actor', insertRun('actor, status', `'', 'running'`), 'capsule_runs_actor_length'],
    [
      'a message over 4000 characters',
      insertRun('actor, status, message', `'a', 'running', repeat('m', 4001)`),
      'capsule_runs_message_length',
    ],
  ])('runs refuse %s', async (_label, sql, constraint) => {
    await rejects(sql, [capsuleId], constraint);
  });

  it('a run of an unknown capsule is refused by the foreign key', async () => {
    await rejects(
      `INSERT INTO capsule_runs (capsule_id, actor, status) VALUES (999999, 'a', 'running')`,
      [],
      /foreign key/,
    );
  });

  it('a run_key is unique', async () => {
    await ds.query(insertRun('actor, status, run_key', `'a', 'running', 'k1'`), [capsuleId]);
    await rejects(insertRun('actor, status, run_key', `'a', 'running', 'k1'`), [capsuleId], 'capsule_runs_run_key_key');
  });

  it('duration_ms cannot be written: it is derived', async () => {
    await rejects(
      insertRun('actor, status, duration_ms', `'a', 'running', 5`),
      [capsuleId],
      /non-DEFAULT value into column "duration_ms"/,
    );
  });

  it('versions are written by the triggers and cannot be changed', async () => {
    await ds.query(`UPDATE capsules SET title = 'C2' WHERE id = $1`, [capsuleId]);
    await ds.query(`UPDATE capsules SET updated_at = now() WHERE id = $1`, [capsuleId]); // not a definition change
    const versions: { revision: number; title: string }[] = await ds.query(
      `SELECT revision, definition->>'title' AS title FROM capsule_versions WHERE capsule_id = $1 ORDER BY revision`,
      [capsuleId],
    );
    expect(versions).toEqual([
      { revision: 1, title: 'C' },
      { revision: 2, title: 'C2' },
    ]);
    await rejects(`UPDATE capsule_versions SET changed_by = 'mallory' WHERE capsule_id = $1`, [capsuleId], /immutable/);
  });

  it('changed_by comes from the transaction setting', async () => {
    await ds.transaction(async (m) => {
      await m.query(`SELECT set_config('capsules.changed_by', 'ci-runner', true)`);
      await m.query(`UPDATE capsules SET kind = 'k2' WHERE id = $1`, [capsuleId]);
    });
    const rows: { changed_by: string }[] = await ds.query(
      'SELECT changed_by FROM capsule_versions WHERE capsule_id = $1 ORDER BY revision DESC LIMIT 1',
      [capsuleId],
    );
    expect(rows[0].changed_by).toBe('ci-runner');
  });
});
