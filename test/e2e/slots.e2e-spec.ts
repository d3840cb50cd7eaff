import { FixedClock } from '@app/common';
import { createTestApp, type TestApp } from '../support/test-app';
import { until } from '../support/until';

/**
 * The schedule ledger through HTTP: a daily capsule registered on 1 November (its history set
 * in SQL, since the API stamps the database's now), runs reported through the API, read at a
 * fixed instant.
 */
describe('slots and uptime', () => {
  const clock = new FixedClock(new Date('2026-12-10T12:00:00.000Z'));
  let t: TestApp;

  beforeAll(async () => {
    // The slot closer runs (and settles the history as the runs arrive), as in production.
    t = await createTestApp({ clock, config: { slotsPollIntervalMs: 20 } });
    await t.dataSource.query(
      `INSERT INTO capsules (slug, title, kind, mode, schedule, timezone, grace_seconds, created_at, updated_at)
       VALUES ('ledger-daily', 'Ledger', 'dispatch', 'automated', '0 6 * * *', 'Europe/Paris', 300,
               '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')`,
    );
    const runs: [string, string][] = [
      ['2026-12-01T05:02:00Z', '2026-12-01T05:03:00Z'], // 06:02 Paris: on time
      ['2026-12-02T05:10:00Z', '2026-12-02T05:11:00Z'], // 06:10: late
      // 3 December: nothing (missed)
      ['2026-12-04T05:01:00Z', '2026-12-04T05:02:00Z'], // on time
      ['2026-12-04T05:30:00Z', '2026-12-04T05:31:00Z'], // a second run: extra
      ['2026-12-05T04:59:30Z', '2026-12-05T05:00:00Z'], // 30 s early: on time
    ];
    for (const [started_at, completed_at] of runs) {
      await t
        .http()
        .post('/api/capsules/run')
        .send({ capsule_slug: 'ledger-daily', actor: 'cron', status: 'success', started_at, completed_at })
        .expect(200);
    }
  });

  afterAll(() => t.close());

  const RANGE = 'from=2026-12-01T00:00:00Z&to=2026-12-06T00:00:00Z';

  it('lists every slot of the range with its outcome, newest first, extra runs at their start', async () => {
    const res = await t.http().get(`/api/capsules/ledger-daily/slots?${RANGE}`).expect(200);
    expect(res.body.map((e: { at: string; outcome: string }) => [e.at, e.outcome])).toEqual([
      ['2026-12-05T05:00:00.000Z', 'on_time'],
      ['2026-12-04T05:30:00.000Z', 'extra'],
      ['2026-12-04T05:00:00.000Z', 'on_time'],
      ['2026-12-03T05:00:00.000Z', 'missed'],
      ['2026-12-02T05:00:00.000Z', 'late'],
      ['2026-12-01T05:00:00.000Z', 'on_time'],
    ]);
    expect(res.body[4]).toMatchObject({
      local: '2026-12-02T06:00:00+01:00',
      lateness_seconds: 600,
      run: { status: 'success', started_at: '2026-12-02T05:10:00.000Z' },
    });
    expect(res.body[0]).toMatchObject({ lateness_seconds: 0, run: { started_at: '2026-12-05T04:59:30.000Z' } });
    expect(res.body[3]).toMatchObject({ run: null, lateness_seconds: null });
  });

  it('pages through Link with the same entries, none twice', async () => {
    const all = (await t.http().get(`/api/capsules/ledger-daily/slots?${RANGE}`).expect(200)).body;
    const paged: unknown[] = [];
    let next: string | undefined = `/api/capsules/ledger-daily/slots?${RANGE}&limit=2`;
    while (next) {
      const res: { body: unknown[]; headers: Record<string, string | undefined> } = await t
        .http()
        .get(next)
        .expect(200);
      paged.push(...res.body);
      next = /<([^>]+)>; rel="next"/.exec(res.headers.link ?? '')?.[1];
    }
    expect(paged).toEqual(all);
  });

  it('no slots before the capsule existed; today’s slot is pending until its window closes', async () => {
    const early = await t
      .http()
      .get('/api/capsules/ledger-daily/slots?from=2026-10-01T00:00:00Z&to=2026-11-02T00:00:00Z')
      .expect(200);
    expect(early.body.map((e: { at: string }) => e.at)).toEqual(['2026-11-01T05:00:00.000Z']);
    const today = await t.http().get('/api/capsules/ledger-daily/slots?from=2026-12-10T00:00:00Z').expect(200);
    expect(today.body).toEqual([expect.objectContaining({ at: '2026-12-10T05:00:00.000Z', outcome: 'pending' })]);
  });

  it('uptime counts the window’s slots by outcome', async () => {
    const res = await t.http().get('/api/capsules/ledger-daily/uptime?window=30d').expect(200);
    // 11 November to 10 December: 30 slots, today's pending.
    expect(res.body).toEqual({
      slug: 'ledger-daily',
      window: '30d',
      from: '2026-11-10T12:00:00.000Z',
      to: '2026-12-10T12:00:00.000Z',
      expected: 29,
      on_time: 3,
      late: 1,
      missed: 25,
      pending: 1,
      paused: 0,
      extra: 1,
      on_time_ratio: 0.1034,
    });
  });

  it('performance entries carry the uptime of the settled slots; a reported run settles its slot', async () => {
    const uptimeOf = async (window: string) => {
      const res = await t.http().get(`/api/capsules/performance?window=${window}`).expect(200);
      return res.body.find((e: { capsule_slug: string }) => e.capsule_slug === 'ledger-daily').uptime;
    };
    // 1 November to 9 December: 39 slots settled (4 with a run), today's pending and not counted.
    const all = { expected: 39, on_time: 3, late: 1, missed: 35, paused: 0, on_time_ratio: 0.0769 };
    await until(async () => (await uptimeOf('all')).expected === 39, 'the closer settling the history');
    expect(await uptimeOf('all')).toEqual(all);
    // Whole UTC days, like every performance window: 4 to 10 December.
    expect(await uptimeOf('7d')).toEqual({
      expected: 6,
      on_time: 2,
      late: 0,
      missed: 4,
      paused: 0,
      on_time_ratio: 0.3333,
    });
    const byKind = await t.http().get('/api/capsules/performance?group_by=kind&kind=dispatch').expect(200);
    expect(byKind.body[0].uptime).toEqual(all);
    // One definition revision so far: its slots are all of them.
    expect(await uptimeOf('all&revision=current')).toEqual(all);
    await t
      .http()
      .post('/api/capsules/run')
      .send({ capsule_slug: 'ledger-daily', actor: 'cron', status: 'running', started_at: '2026-12-10T05:01:00Z' })
      .expect(200);
    await until(async () => (await uptimeOf('all')).expected === 40, 'today’s slot settled');
    expect(await uptimeOf('all')).toEqual({ ...all, expected: 40, on_time: 4, on_time_ratio: 0.1 });
    // A new definition revision has no settled slots yet.
    await t.dataSource.query(`UPDATE capsules SET grace_seconds = 600 WHERE slug = 'ledger-daily'`);
    expect(await uptimeOf('all&revision=current')).toMatchObject({ expected: 0, on_time_ratio: null });
  });

  it('bad ranges and cursors are 4xx; an unknown capsule a 404', async () => {
    await t
      .http()
      .get('/api/capsules/ledger-daily/slots?from=2026-12-06T00:00:00Z&to=2026-12-01T00:00:00Z')
      .expect(422);
    await t.http().get('/api/capsules/ledger-daily/slots?from=yesterday').expect(422);
    await t.http().get('/api/capsules/ledger-daily/slots?cursor=bm9wZQ').expect(400);
    await t.http().get('/api/capsules/ledger-daily/uptime?window=1y').expect(422);
    await t.http().get('/api/capsules/nope/slots').expect(404);
    await t.http().get('/api/capsules/nope/uptime').expect(404);
  });
});
