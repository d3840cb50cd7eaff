import { FixedClock } from '@app/common';
import { rollupDifferences } from '../support/rollup-check';
import { createTestApp, type TestApp } from '../support/test-app';

const NOW = new Date('2026-12-02T12:00:00.000Z');

/** A report as a client sends it: started `minutesAgo` before NOW, 10 s long. */
function report(slug: string, minutesAgo: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const started = new Date(NOW.getTime() - minutesAgo * 60_000);
  return {
    capsule_slug: slug,
    actor: 'agent@host',
    status: 'success',
    started_at: started.toISOString(),
    completed_at: new Date(started.getTime() + 10_000).toISOString(),
    ...extra,
  };
}

/**
 * POST /api/capsules/runs/batch: a result per item in request order, exactly-once per run_key,
 * one bad item not rejecting the others unless atomic, alerts judged as if reported one by one,
 * and the rollups still equal to a recomputation.
 */
describe('batch ingestion', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock: new FixedClock(NOW), config: { dbPoolSize: 6, batchBodyLimitBytes: 400_000 } });
    for (const slug of ['batch-alpha', 'batch-beta', 'batch-gamma']) {
      await t.http().post('/api/capsules').send({ slug, title: slug, kind: 'digest', mode: 'automated' }).expect(200);
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  const runsOf = async (slug: string): Promise<number> =>
    Number(
      (
        await t.dataSource.query(
          'SELECT count(*) AS n FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id WHERE c.slug = $1',
          [slug],
        )
      )[0].n,
    );

  it('stores the good items and answers each item in order, the refused ones with their problem', async () => {
    const res = await t
      .http()
      .post('/api/capsules/runs/batch')
      .send([
        report('batch-alpha', 30),
        report('batch-beta', 29, { run_key: 'beta-1', status: 'error', exit_code: 2 }),
        report('no-such-capsule', 28),
        report('batch-alpha', 27, { actor: '' }),
        report('batch-alpha', 26, { completed_at: '2026-12-01T00:00:00Z' }),
        report('batch-gamma', 25, { status: 'running', completed_at: undefined }),
      ])
      .expect(200);
    expect(res.body).toMatchObject({ stored: 3, replayed: 0, rejected: 3 });
    expect(res.body.results.map((r: { index: number; outcome: string }) => [r.index, r.outcome])).toEqual([
      [0, 'stored'],
      [1, 'stored'],
      [2, 'rejected'],
      [3, 'rejected'],
      [4, 'rejected'],
      [5, 'stored'],
    ]);
    expect(res.body.results[1].run).toMatchObject({
      capsule_slug: 'batch-beta',
      status: 'error',
      exit_code: 2,
      run_key: 'beta-1',
      duration_ms: 10_000,
    });
    expect(res.body.results[5].run).toMatchObject({ status: 'running', completed_at: null });
    expect(res.body.results[2].problem).toMatchObject({ status: 404, code: 'CAPSULE_NOT_FOUND' });
    expect(res.body.results[3].problem).toMatchObject({
      status: 422,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'actor', message: expect.any(String) }],
    });
    expect(res.body.results[4].problem).toMatchObject({
      status: 422,
      errors: [{ field: 'completed_at', message: 'completed_at must not be before started_at' }],
    });
    const stored = await t.http().get(`/api/capsules/runs/${res.body.results[0].run.id}`).expect(200);
    expect(stored.body).toEqual(res.body.results[0].run);
    expect([await runsOf('batch-alpha'), await runsOf('batch-beta'), await runsOf('batch-gamma')]).toEqual([1, 1, 1]);
  });

  it('is exactly-once per run_key: a retried batch replays, another payload under a key is a 409 item', async () => {
    const batch = [
      report('batch-alpha', 20, { run_key: 'alpha-20' }),
      report('batch-alpha', 19, { run_key: 'alpha-19' }),
      // the same key twice in one batch: the second is a replay of the first
      report('batch-alpha', 19, { run_key: 'alpha-19' }),
    ];
    const first = await t.http().post('/api/capsules/runs/batch').send(batch).expect(200);
    expect(first.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['stored', 'stored', 'replayed']);
    expect(first.body.results[2].run.id).toBe(first.body.results[1].run.id);
    const retry = await t
      .http()
      .post('/api/capsules/runs/batch')
      .send([...batch, report('batch-alpha', 18, { run_key: 'alpha-20' })])
      .expect(200);
    expect(retry.body).toMatchObject({ stored: 0, replayed: 3, rejected: 1 });
    expect(retry.body.results[0].run).toEqual(first.body.results[0].run);
    expect(retry.body.results[3].problem).toMatchObject({ status: 409, code: 'RUN_KEY_CONFLICT' });
    // The single route sees the batch's keys too.
    const single = await t.http().post('/api/capsules/run').send(batch[0]).expect(200);
    expect(single.headers['idempotent-replayed']).toBe('true');
    expect(await runsOf('batch-alpha')).toBe(3);
  });

  it('gives a run key to the first item that has it, as one-by-one reports would', async () => {
    // The first report changes batch-delta's alert state (new), so its second waits for a statement
    // of its own; the other capsule's report with the same key must not overtake it.
    await t.http().post('/api/capsules').send({ slug: 'batch-delta', title: 'D', kind: 'digest', mode: 'automated' });
    const res = await t
      .http()
      .post('/api/capsules/runs/batch')
      .send([
        report('batch-delta', 14),
        report('batch-delta', 13, { run_key: 'shared-key' }),
        report('batch-beta', 12, { run_key: 'shared-key' }),
        report('no-such-capsule', 11, { run_key: 'later-key' }),
        report('batch-beta', 10, { run_key: 'later-key' }),
      ])
      .expect(200);
    expect(res.body.results.map((r: { outcome: string }) => r.outcome)).toEqual([
      'stored',
      'stored',
      'rejected',
      'rejected',
      'stored',
    ]);
    expect(res.body.results[1].run).toMatchObject({ capsule_slug: 'batch-delta', run_key: 'shared-key' });
    expect(res.body.results[2].problem).toMatchObject({ code: 'RUN_KEY_CONFLICT' });
    // The unknown capsule is its problem, not the key a later item took.
    expect(res.body.results[3].problem).toMatchObject({ code: 'CAPSULE_NOT_FOUND' });
  });

  it('refuses an Idempotency-Key header (each item has its run_key)', async () => {
    const res = await t
      .http()
      .post('/api/capsules/runs/batch')
      .set('idempotency-key', 'whole-batch')
      .send([report('batch-alpha', 9)])
      .expect(422);
    expect(res.body.errors).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
  });

  it('atomic=true stores nothing when an item is refused, and everything when none is', async () => {
    const before = await runsOf('batch-beta');
    const refused = await t
      .http()
      .post('/api/capsules/runs/batch?atomic=true')
      .send([report('batch-beta', 10), report('no-such-capsule', 9), report('batch-beta', 8)])
      .expect(422);
    expect(refused.body).toMatchObject({ code: 'BATCH_REJECTED', status: 422 });
    expect(refused.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['skipped', 'rejected', 'skipped']);
    expect(refused.body.results[1].problem).toMatchObject({ code: 'CAPSULE_NOT_FOUND' });
    const invalid = await t
      .http()
      .post('/api/capsules/runs/batch?atomic=true')
      .send([report('batch-beta', 10), { capsule_slug: 'batch-beta' }])
      .expect(422);
    expect(invalid.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['skipped', 'rejected']);
    expect(await runsOf('batch-beta')).toBe(before);
    const accepted = await t
      .http()
      .post('/api/capsules/runs/batch?atomic=true')
      .send([report('batch-beta', 10), report('batch-beta', 8)])
      .expect(200);
    expect(accepted.body).toMatchObject({ stored: 2, rejected: 0 });
    expect(await runsOf('batch-beta')).toBe(before + 2);
  });

  it.each([
    ['an object', { capsule_slug: 'batch-alpha' }],
    ['an empty array', []],
    ['1001 items', Array.from({ length: 1001 }, () => ({ capsule_slug: 'batch-alpha', actor: 'a' }))],
  ])('refuses %s as a whole (422), storing nothing', async (_, body) => {
    const before = await runsOf('batch-alpha');
    const res = await t.http().post('/api/capsules/runs/batch').send(body).expect(422);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '(body)' }] });
    expect(await runsOf('batch-alpha')).toBe(before);
  });

  it('refuses a bad atomic, and a body over BATCH_BODY_LIMIT_BYTES (413)', async () => {
    await t
      .http()
      .post('/api/capsules/runs/batch?atomic=yes')
      .send([report('batch-alpha', 5)])
      .expect(422);
    const big = Array.from({ length: 1000 }, (_, i) => report('batch-alpha', 5, { message: 'x'.repeat(400 + i) }));
    const res = await t.http().post('/api/capsules/runs/batch').send(big).expect(413);
    expect(res.body).toMatchObject({ status: 413 });
  });

  it('takes 1,000 runs of several capsules in one request, and the rollups equal a recomputation', async () => {
    const slugs = ['batch-alpha', 'batch-beta', 'batch-gamma'];
    const statuses = ['success', 'error', 'timeout', 'cancelled', 'running'];
    const body = Array.from({ length: 1000 }, (_, i) =>
      report(slugs[i % 3], 600 + i, {
        status: statuses[i % 5],
        run_key: i % 7 === 0 ? `bulk-${i}` : undefined,
        completed_at: statuses[i % 5] === 'running' ? undefined : new Date(NOW.getTime() - i * 60_000).toISOString(),
      }),
    );
    const res = await t.http().post('/api/capsules/runs/batch').send(body).expect(200);
    expect(res.body).toMatchObject({ stored: 1000, replayed: 0, rejected: 0 });
    expect(new Set(res.body.results.map((r: { run: { id: number } }) => r.run.id)).size).toBe(1000);
    expect(await rollupDifferences(t.dataSource)).toEqual([]);
  });

  it('writes concurrent batches and single reports with retries once each; rollups stay exact', async () => {
    const batches = Array.from({ length: 6 }, (_, b) =>
      Array.from({ length: 50 }, (_, i) =>
        report(['batch-alpha', 'batch-beta'][i % 2], 2000 + (b % 3) * 50 + i, {
          run_key: `conc-${(b % 3) * 50 + i}`,
        }),
      ),
    );
    const singles = Array.from({ length: 40 }, (_, i) =>
      report('batch-gamma', 3000 + (i % 20), { run_key: `single-${i % 20}` }),
    );
    const answers = await Promise.all([
      ...batches.map((batch) => t.http().post('/api/capsules/runs/batch').send(batch)),
      ...singles.map((single) => t.http().post('/api/capsules/run').send(single)),
    ]);
    expect(answers.map((a) => a.status)).toEqual(Array(answers.length).fill(200));
    const keys: { run_key: string; n: number }[] = await t.dataSource.query(
      `SELECT run_key, count(*)::int AS n FROM capsule_runs
       WHERE run_key LIKE 'conc-%' OR run_key LIKE 'single-%' GROUP BY run_key`,
    );
    expect(keys).toHaveLength(150 + 20);
    expect(keys.every((k) => k.n === 1)).toBe(true);
    const outcomes = answers.slice(0, 6).flatMap((a) => a.body.results.map((r: { outcome: string }) => r.outcome));
    expect(outcomes.filter((o) => o === 'stored')).toHaveLength(150);
    expect(outcomes.filter((o) => o === 'replayed')).toHaveLength(150);
    expect(await rollupDifferences(t.dataSource)).toEqual([]);
  });

  it('has alerts judge a batch as if its reports came one by one, in order', async () => {
    await t.http().post('/api/capsules').send({ slug: 'batch-flaky', title: 'F', kind: 'digest', mode: 'automated' });
    const res = await t
      .http()
      .post('/api/capsules/runs/batch')
      .send([
        report('batch-flaky', 50),
        report('batch-flaky', 40, { status: 'error' }),
        report('batch-flaky', 30, { status: 'error' }),
        report('batch-flaky', 20),
        report('batch-flaky', 10),
      ])
      .expect(200);
    expect(res.body.stored).toBe(5);
    const flips = await t.http().get('/api/capsules/batch-flaky/flips?window=7d').expect(200);
    // Newest first: down at the first failure's end, up again at the next success's end.
    expect(flips.body.flips.map((f: { reason: string; at: string }) => [f.reason, f.at])).toEqual([
      ['recovered', '2026-12-02T11:40:10.000Z'],
      ['failed', '2026-12-02T11:20:10.000Z'],
    ]);
  });

  describe('a report that fails on its own', () => {
    // A real fault of one row (a trigger that raises for one actor), not a refusal the API knows.
    beforeAll(async () => {
      await t.dataSource.query(`
        CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.actor = 'poison' THEN RAISE EXCEPTION 'poisoned row in relation capsule_runs'; END IF;
          RETURN NEW;
        END $$`);
      await t.dataSource.query(
        'CREATE TRIGGER test_poison BEFORE INSERT ON capsule_runs FOR EACH ROW EXECUTE FUNCTION test_poison()',
      );
    });
    afterAll(async () => {
      await t.dataSource.query('DROP TRIGGER test_poison ON capsule_runs');
      await t.dataSource.query('DROP FUNCTION test_poison()');
    });

    it('fails that item of a batch alone (500 without internals); the others are stored', async () => {
      const before = await runsOf('batch-gamma');
      const res = await t
        .http()
        .post('/api/capsules/runs/batch')
        .send([report('batch-gamma', 5), report('batch-gamma', 4, { actor: 'poison' }), report('batch-gamma', 3)])
        .expect(200);
      expect(res.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['stored', 'rejected', 'stored']);
      expect(res.body.results[1].problem).toMatchObject({ status: 500, code: 'RUN_NOT_STORED' });
      expect(JSON.stringify(res.body)).not.toMatch(/poison|relation|capsule_runs/);
      expect(await runsOf('batch-gamma')).toBe(before + 2);
    });

    it('fails only that report among concurrent single reports written together', async () => {
      const before = await runsOf('batch-gamma');
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          t
            .http()
            .post('/api/capsules/run')
            .send(report('batch-gamma', 100 + i, { actor: i === 13 ? 'poison' : 'agent@host' })),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 30 }, (_, i) => (i === 13 ? 500 : 200)));
      expect(JSON.stringify(answers[13].body)).not.toMatch(/poison|relation|capsule_runs/);
      expect(await runsOf('batch-gamma')).toBe(before + 29);
    });
  });
});
