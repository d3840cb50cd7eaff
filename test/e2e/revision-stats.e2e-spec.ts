import { createTestApp, type TestApp } from '../support/test-app';

/** "Did 2.0.0 make it slower or flakier than 1.9.3?": stats per definition revision. */
describe('stats by definition revision', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    const capsule = { slug: 'treasury-recon', title: 'Treasury', kind: 'treasury', mode: 'automated' };
    await t
      .http()
      .post('/api/capsules')
      .send({ ...capsule, version: '1.9.3' })
      .expect(200);
    const report = (status: string, seconds: number, i: number) =>
      t
        .http()
        .post('/api/capsules/run')
        .send({
          capsule_slug: 'treasury-recon',
          actor: 'cron',
          status,
          started_at: new Date(Date.UTC(2026, 10, 1, 6) + i * 60_000).toISOString(),
          completed_at: new Date(Date.UTC(2026, 10, 1, 6) + i * 60_000 + seconds * 1000).toISOString(),
        })
        .expect(200);
    for (let i = 0; i < 8; i++) await report('success', 10, i);
    await report('error', 12, 8);
    await t.http().patch('/api/capsules/treasury-recon').send({ version: '2.0.0' }).expect(200);
    for (let i = 10; i < 14; i++) await report('success', 30, i);
    await report('timeout', 60, 14);
    await report('error', 31, 15);
  });

  afterAll(() => t.close());

  it('answers one entry per revision, newest first, with its version and counts', async () => {
    const res = await t.http().get('/api/capsules/treasury-recon/stats?group_by=revision').expect(200);
    expect(res.body).toHaveLength(2);
    expect(res.body[0]).toMatchObject({
      revision: 2,
      version: '2.0.0',
      total_runs: 6,
      successful_runs: 4,
      failed_runs: 2,
      success_rate: 4 / 6,
      error_runs: 1,
      timeout_runs: 1,
    });
    expect(res.body[1]).toMatchObject({
      revision: 1,
      version: '1.9.3',
      total_runs: 9,
      successful_runs: 8,
      failed_runs: 1,
      success_rate: 8 / 9,
    });
    expect(new Date(res.body[0].became_current_at).getTime()).toBeGreaterThan(
      new Date(res.body[1].became_current_at).getTime(),
    );
  });

  it('matches a recomputation from the runs', async () => {
    const expected = await t.dataSource.query(
      `SELECT capsule_revision AS revision, count(*)::int AS total_runs,
              (count(*) FILTER (WHERE status = 'success'))::int AS successful_runs,
              avg(duration_ms) FILTER (WHERE duration_ms IS NOT NULL) / 1000 AS avg_seconds
       FROM capsule_runs GROUP BY capsule_revision ORDER BY capsule_revision DESC`,
    );
    const res = await t.http().get('/api/capsules/treasury-recon/stats?group_by=revision').expect(200);
    expect(res.body).toHaveLength(expected.length);
    expected.forEach(
      (row: { revision: number; total_runs: number; successful_runs: number; avg_seconds: string }, i: number) => {
        expect(res.body[i]).toMatchObject({
          revision: row.revision,
          total_runs: row.total_runs,
          successful_runs: row.successful_runs,
        });
        expect(res.body[i].avg_runtime_seconds).toBeCloseTo(Number(row.avg_seconds), 9);
      },
    );
  });

  it('performance?revision=current counts only the current revision’s runs', async () => {
    const res = await t.http().get('/api/capsules/performance?revision=current').expect(200);
    expect(res.body).toEqual([
      expect.objectContaining({ capsule_slug: 'treasury-recon', total_runs: 6, successful_runs: 4, failed_runs: 2 }),
    ]);
    const all = await t.http().get('/api/capsules/performance').expect(200);
    expect(all.body[0]).toMatchObject({ total_runs: 15, last_run_at: res.body[0].last_run_at });
    await t.http().get('/api/capsules/performance?revision=current&window=7d').expect(422);
    await t.http().get('/api/capsules/performance?revision=2').expect(422);
  });

  it('keeps the time buckets without group_by, and refuses other groupings', async () => {
    const res = await t.http().get('/api/capsules/treasury-recon/stats?window=all').expect(200);
    expect(res.body[0]).toHaveProperty('bucket_start');
    await t.http().get('/api/capsules/treasury-recon/stats?group_by=kind').expect(422);
    await t.http().get('/api/capsules/nope/stats?group_by=revision').expect(404);
  });
});
