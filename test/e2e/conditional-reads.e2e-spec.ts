import { FixedClock } from '@app/common';
import { recordFinishedRun, registerCapsule } from '../support/fixtures';
import { createTestApp, type TestApp } from '../support/test-app';

/** Conditional reads of performance and scheduled (ADR 15): 304 while nothing changed, never stale. */
describe('conditional analytics reads', () => {
  const clock = new FixedClock(new Date('2026-11-24T12:10:00.000Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock });
    // Hourly at :30, 300 s of grace: due 12:30, late until 12:35, down after.
    await registerCapsule(t, { slug: 'half-past', schedule: '30 * * * *', grace_seconds: 300 });
    await recordFinishedRun(t, 'half-past', '2026-11-24T11:30:00.000Z');
  });

  afterAll(async () => {
    await t.close();
  });

  const get = (path: string, etag?: string) => {
    const req = t.http().get(path);
    return etag ? req.set('If-None-Match', etag) : req;
  };

  it('answers 304 without a body while nothing changed, and 200 with the run once one is written', async () => {
    const first = await get('/api/capsules/performance').expect(200);
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    const total = first.body.find((e: { capsule_slug: string }) => e.capsule_slug === 'half-past').total_runs;

    const same = await get('/api/capsules/performance', etag).expect(304);
    expect(same.text ?? '').toBe('');
    expect(same.headers.etag).toBe(etag);
    await get('/api/capsules/performance', `W/${etag}`).expect(304);
    await get('/api/capsules/performance', '"someone-else"').expect(200);

    await recordFinishedRun(t, 'half-past', '2026-11-24T12:00:00.000Z');
    const after = await get('/api/capsules/performance', etag).expect(200);
    expect(after.headers.etag).not.toBe(etag);
    expect(after.body.find((e: { capsule_slug: string }) => e.capsule_slug === 'half-past').total_runs).toBe(total + 1);
  });

  it('tells the answers of other query strings apart', async () => {
    const all = await get('/api/capsules/performance?window=all').expect(200);
    const kinds = await get('/api/capsules/performance?group_by=kind').expect(200);
    expect(kinds.headers.etag).not.toBe(all.headers.etag);
    await get('/api/capsules/performance?group_by=kind', all.headers.etag).expect(200);
    expect(kinds.body[0]).toHaveProperty('capsules');
  });

  it('is never stale under interleaved writes and reads', async () => {
    let etag = (await get('/api/capsules/performance').expect(200)).headers.etag;
    for (let i = 0; i < 5; i++) {
      const before = (await get('/api/capsules/performance').expect(200)).body;
      const runs = before.find((e: { capsule_slug: string }) => e.capsule_slug === 'half-past').total_runs;
      await recordFinishedRun(t, 'half-past', `2026-11-24T0${i}:00:00.000Z`);
      const res = await get('/api/capsules/performance', etag).expect(200);
      expect(res.body.find((e: { capsule_slug: string }) => e.capsule_slug === 'half-past').total_runs).toBe(runs + 1);
      etag = res.headers.etag;
    }
  });

  it('moves a window on with the clock, with no write', async () => {
    clock.set('2026-11-24T12:10:00.000Z');
    const res = await get('/api/capsules/performance?window=24h').expect(200);
    const etag = res.headers.etag;
    clock.set('2026-11-24T12:59:59.999Z');
    await get('/api/capsules/performance?window=24h', etag).expect(304);
    clock.set('2026-11-24T13:00:00.000Z');
    const next = await get('/api/capsules/performance?window=24h', etag).expect(200);
    expect(next.headers.etag).not.toBe(etag);
    // All time does not move with the clock.
    const all = (await get('/api/capsules/performance').expect(200)).headers.etag;
    clock.set('2026-11-25T13:00:00.000Z');
    await get('/api/capsules/performance', all).expect(304);
  });

  it('answers scheduled anew when time alone changes an entry: its state, its next run, its day', async () => {
    clock.set('2026-11-24T12:10:00.000Z');
    await recordFinishedRun(t, 'half-past', '2026-11-24T12:05:00.000Z', 'success', 10);
    const entry = (body: { slug: string }[]) => body.find((e) => e.slug === 'half-past') as Record<string, unknown>;
    const up = await get('/api/capsules/scheduled').expect(200);
    expect(entry(up.body)).toMatchObject({ state: 'up', next_run: '2026-11-24T12:30:00.000Z' });
    const etag = up.headers.etag;

    clock.set('2026-11-24T12:29:59.000Z');
    await get('/api/capsules/scheduled', etag).expect(304);
    clock.set('2026-11-24T12:30:00.000Z');
    const late = await get('/api/capsules/scheduled', etag).expect(200);
    expect(entry(late.body)).toMatchObject({ state: 'late', next_run: '2026-11-24T13:30:00.000Z' });

    clock.set('2026-11-24T12:35:00.000Z');
    const down = await get('/api/capsules/scheduled', late.headers.etag).expect(200);
    expect(entry(down.body)).toMatchObject({ state: 'down' });
    await get('/api/capsules/scheduled?state=down', down.headers.etag).expect(200);
    const filtered = await get('/api/capsules/scheduled?state=down').expect(200);
    expect(filtered.body.map((e: { slug: string }) => e.slug)).toEqual(['half-past']);

    // runs_today counts the local day: it resets at midnight UTC (the capsule's zone), with no write.
    clock.set('2026-11-24T23:59:00.000Z');
    const evening = await get('/api/capsules/scheduled').expect(200);
    expect((entry(evening.body).runs_today as number) > 0).toBe(true);
    clock.set('2026-11-25T00:00:00.000Z');
    const midnight = await get('/api/capsules/scheduled', evening.headers.etag).expect(200);
    expect(entry(midnight.body).runs_today).toBe(0);
  });

  it('counts a run reported ahead of the clock once its start passes, with no write', async () => {
    clock.set('2026-11-25T06:00:00.000Z');
    // Clock skew: started two minutes ahead of the server's clock (allowed up to five).
    const started = '2026-11-25T06:02:00.000Z';
    await t
      .http()
      .post('/api/capsules/run')
      .send({ capsule_slug: 'half-past', actor: 'cron', status: 'running', started_at: started })
      .expect(200);
    const entry = (body: { slug: string }[]) => body.find((e) => e.slug === 'half-past') as Record<string, unknown>;
    const before = await get('/api/capsules/scheduled').expect(200);
    expect(entry(before.body).runs_today).toBe(0);
    clock.set('2026-11-25T06:02:00.000Z');
    const after = await get('/api/capsules/scheduled', before.headers.etag).expect(200);
    expect(entry(after.body).runs_today).toBe(1);
  });
});
