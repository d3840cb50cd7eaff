import { RunsService } from '@app/runs';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * Keyset pages over (started_at DESC, id DESC): walking every page while
 * runs are being written sees every run that existed when the walk began
 * exactly once, ties on started_at included.
 */
describe('run pagination invariants', () => {
  let t: TestApp;
  let runs: RunsService;

  beforeAll(async () => {
    t = await createTestApp();
    runs = t.app.get(RunsService);
    await t.dataSource.query(
      `INSERT INTO capsules (slug, title, kind, mode) VALUES ('p', 'P', 'k', 'm'), ('q', 'Q', 'k', 'm')`,
    );
    // 300 runs on 60 distinct instants: every instant is shared by 5 runs.
    await t.dataSource.query(`
      INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
      SELECT c.id, 'seed', 'success', ts, ts
      FROM capsules c, generate_series(1, 300) AS i,
           LATERAL (SELECT timestamptz '2026-11-01T00:00:00Z' + (i % 60) * interval '1 minute' AS ts) t
      WHERE c.slug = CASE WHEN i % 2 = 0 THEN 'p' ELSE 'q' END`);
  });

  afterAll(async () => {
    await t.close();
  });

  async function ids(where = ''): Promise<number[]> {
    const rows: { id: string }[] = await t.dataSource.query(
      `SELECT r.id FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id ${where} ORDER BY r.started_at DESC, r.id DESC`,
    );
    return rows.map((r) => Number(r.id));
  }

  async function walk(query: { capsule_slug?: string; limit: number }, between: (page: number) => Promise<void>) {
    const seen: number[] = [];
    let cursor: string | undefined;
    let page = 0;
    do {
      const result = await runs.list({ ...query, cursor });
      seen.push(...result.items.map((r) => Number(r.id)));
      cursor = result.next;
      await between(page++);
    } while (cursor);
    return seen;
  }

  it('no run lost or repeated while newer runs and same-instant runs are inserted between pages', async () => {
    const before = await ids();
    const seen = await walk({ limit: 25 }, async (page) => {
      await t.dataSource.query(`
        INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
        SELECT c.id, 'writer', 'success', ts, ts FROM capsules c,
          (VALUES (now()), (timestamptz '2026-11-01T00:30:00Z'), (timestamptz '2026-11-01T00:59:00Z')) AS v(ts)
        WHERE c.slug = 'p'`);
      expect(page).toBeLessThan(100);
    });
    const newSince = new Set((await ids()).filter((id) => !before.includes(id)));
    const originals = seen.filter((id) => !newSince.has(id));
    expect(originals).toEqual(before);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('the same holds for one capsule', async () => {
    const before = await ids(`WHERE c.slug = 'q'`);
    const seen = await walk({ capsule_slug: 'q', limit: 7 }, async () => {
      await t.dataSource.query(`
        INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
        SELECT id, 'writer', 'success', now(), now() FROM capsules WHERE slug = 'q'`);
    });
    const originals = seen.filter((id) => before.includes(id));
    expect(originals).toEqual(before);
    expect(new Set(seen).size).toBe(seen.length);
  });
});
