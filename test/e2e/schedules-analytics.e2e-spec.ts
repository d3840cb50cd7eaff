import { FixedClock } from '@app/common';
import { recordFinishedRun, registerCapsule } from '../support/fixtures';
import { createTestApp, type TestApp } from '../support/test-app';

describe('schedules and analytics beyond the original', () => {
  // 2026-11-24T12:00Z is a Tuesday; 21:00 in Tokyo, 07:00 in New York.
  const clock = new FixedClock(new Date('2026-11-24T12:00:00.000Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock });
    await registerCapsule(t, { slug: 'ny-0230', schedule: '30 2 * * *', timezone: 'America/New_York' });
    await registerCapsule(t, { slug: 'unscheduled' });
    await registerCapsule(t, { slug: 'aged', kind: 'treasury', schedule: '0 * * * *' });
    await registerCapsule(t, { slug: 'tokyo', kind: 'treasury', schedule: '0 9 * * *', timezone: 'Asia/Tokyo' });
    await recordFinishedRun(t, 'aged', '2026-11-24T11:30:00.000Z', 'success', 10); // in 24h
    await recordFinishedRun(t, 'aged', '2026-11-21T10:00:00.000Z', 'error', 20); // in 7d
    await recordFinishedRun(t, 'aged', '2026-11-04T10:00:00.000Z', 'success', 30); // in 30d
    await recordFinishedRun(t, 'aged', '2026-09-01T10:00:00.000Z', 'timeout', 40); // only in all
    await recordFinishedRun(t, 'tokyo', '2026-11-23T16:00:00.000Z'); // 01:00 on the 24th in Tokyo: today there
    await recordFinishedRun(t, 'tokyo', '2026-11-23T14:00:00.000Z'); // 23:00 on the 23rd in Tokyo: yesterday there
    await recordFinishedRun(t, 'tokyo', '2026-11-24T00:00:30.000Z'); // the 09:00 run of the 24th in Tokyo: today
  });

  afterAll(async () => {
    await t.close();
  });

  describe('GET /api/capsules/:slug/schedule', () => {
    it('answers the contract example: the spring gap fires once at 03:00 local', async () => {
      const res = await t.http().get('/api/capsules/ny-0230/schedule?after=2025-03-08T12:00:00Z&count=2').expect(200);
      expect(res.body).toEqual([
        { at: '2025-03-09T07:00:00.000Z', local: '2025-03-09T03:00:00-04:00' },
        { at: '2025-03-10T06:30:00.000Z', local: '2025-03-10T02:30:00-04:00' },
      ]);
    });

    it('defaults to 5 fire times after now', async () => {
      const res = await t.http().get('/api/capsules/ny-0230/schedule').expect(200);
      expect(res.body).toHaveLength(5);
      expect(res.body[0]).toEqual({ at: '2026-11-25T07:30:00.000Z', local: '2026-11-25T02:30:00-05:00' });
    });

    it('computes fire times in years 1-99 as themselves (not 1900 + year)', async () => {
      const res = await t.http().get('/api/capsules/ny-0230/schedule?after=0050-06-01T00:00:00Z&count=1').expect(200);
      expect(res.body).toHaveLength(1);
      expect(res.body[0].at).toMatch(/^0050-06-01T/);
    });

    it('a capsule without schedule is a 409 problem', async () => {
      const res = await t.http().get('/api/capsules/unscheduled/schedule').expect(409);
      expect(res.body).toMatchObject({ status: 409, code: 'CAPSULE_NOT_SCHEDULED', detail: expect.any(String) });
    });

    it('an unknown capsule is a 404 problem', async () => {
      await t.http().get('/api/capsules/ghost/schedule').expect(404);
    });

    it.each([
      ['count=0', 'count'],
      ['count=101', 'count'],
      ['count=two', 'count'],
      ['after=tomorrow', 'after'],
      ['after=2026-W49', 'after'],
      ['after=2026-336', 'after'],
    ])('rejects %s with 422', async (query, field) => {
      const res = await t.http().get(`/api/capsules/ny-0230/schedule?${query}`).expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    });
  });

  describe('GET /api/capsules/performance with window, kind and group_by', () => {
    it.each([
      ['24h', 1, 1, 0],
      ['7d', 2, 1, 1],
      ['30d', 3, 2, 1],
      ['all', 4, 2, 2],
    ])('window=%s counts the runs started in it', async (window, total, ok, failed) => {
      const res = await t.http().get(`/api/capsules/performance?window=${window}`).expect(200);
      const aged = res.body.find((p: { capsule_slug: string }) => p.capsule_slug === 'aged');
      expect(aged).toMatchObject({ total_runs: total, successful_runs: ok, failed_runs: failed });
      expect(aged.success_rate).toBeCloseTo(ok / (ok + failed), 10);
      expect(aged.last_run_at).toBe('2026-11-24T11:30:00.000Z');
    });

    it('the default window is all', async () => {
      const res = await t.http().get('/api/capsules/performance').expect(200);
      const aged = res.body.find((p: { capsule_slug: string }) => p.capsule_slug === 'aged');
      expect(aged.total_runs).toBe(4);
      expect(aged.avg_runtime_seconds).toBe(25);
    });

    it('group_by=kind gives one entry per kind', async () => {
      const res = await t.http().get('/api/capsules/performance?group_by=kind').expect(200);
      expect(res.body).toEqual([
        expect.objectContaining({ kind: 'dispatch', capsules: 2, total_runs: 0, success_rate: null }),
        expect.objectContaining({
          kind: 'treasury',
          capsules: 2,
          total_runs: 7,
          successful_runs: 5,
          failed_runs: 2,
          success_rate: 5 / 7,
          last_run_at: '2026-11-24T11:30:00.000Z',
        }),
      ]);
      const filtered = await t
        .http()
        .get('/api/capsules/performance?group_by=kind&kind=treasury&window=24h')
        .expect(200);
      // 24h: aged's run of 11:30 and tokyo's three runs of the last day.
      expect(filtered.body).toEqual([expect.objectContaining({ kind: 'treasury', total_runs: 4 })]);
    });

    it.each([
      ['window=1y', 'window'],
      ['group_by=capsule', 'group_by'],
      [`kind=${'k'.repeat(51)}`, 'kind'],
    ])('rejects %s with 422', async (query, field) => {
      const res = await t.http().get(`/api/capsules/performance?${query}`).expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    });
  });

  describe('GET /api/capsules/:slug/stats', () => {
    it('bucket=day: one entry per UTC day of the window, empty days included', async () => {
      const res = await t.http().get('/api/capsules/aged/stats?window=7d&bucket=day').expect(200);
      expect(res.body.map((b: { bucket_start: string }) => b.bucket_start)).toEqual([
        '2026-11-18T00:00:00.000Z',
        '2026-11-19T00:00:00.000Z',
        '2026-11-20T00:00:00.000Z',
        '2026-11-21T00:00:00.000Z',
        '2026-11-22T00:00:00.000Z',
        '2026-11-23T00:00:00.000Z',
        '2026-11-24T00:00:00.000Z',
      ]);
      expect(res.body[3]).toMatchObject({
        total_runs: 1,
        failed_runs: 1,
        error_runs: 1,
        success_rate: 0,
        avg_runtime_seconds: 20,
      });
      expect(res.body[6]).toMatchObject({ total_runs: 1, successful_runs: 1, success_rate: 1 });
      expect(res.body[0]).toMatchObject({ total_runs: 0, success_rate: null, p50_runtime_seconds: null });
    });

    it('bucket=hour over 24h gives 24 hours', async () => {
      const res = await t.http().get('/api/capsules/aged/stats?window=24h&bucket=hour').expect(200);
      expect(res.body).toHaveLength(24);
      expect(res.body[0]).toMatchObject({ bucket_start: '2026-11-23T13:00:00.000Z', total_runs: 0 });
      expect(res.body[22]).toMatchObject({ bucket_start: '2026-11-24T11:00:00.000Z', total_runs: 1 });
      expect(res.body[23]).toMatchObject({ bucket_start: '2026-11-24T12:00:00.000Z', total_runs: 0 });
    });

    it('window=all starts at the first day with runs', async () => {
      const res = await t.http().get('/api/capsules/aged/stats?window=all').expect(200);
      expect(res.body[0]).toMatchObject({ bucket_start: '2026-09-01T00:00:00.000Z', total_runs: 1, timeout_runs: 1 });
      expect(res.body[res.body.length - 1].bucket_start).toBe('2026-11-24T00:00:00.000Z');
    });

    it('a capsule without runs has no buckets for window=all', async () => {
      expect((await t.http().get('/api/capsules/unscheduled/stats?window=all').expect(200)).body).toEqual([]);
    });

    it.each([
      ['window=all&bucket=hour', 'bucket'],
      ['bucket=week', 'bucket'],
      ['window=90d', 'window'],
    ])('rejects %s with 422', async (query, field) => {
      const res = await t.http().get(`/api/capsules/aged/stats?${query}`).expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    });

    it('an unknown capsule is a 404', async () => {
      await t.http().get('/api/capsules/ghost/stats').expect(404);
    });
  });

  describe('GET /api/capsules/scheduled', () => {
    it('counts runs_today in the capsule time zone day', async () => {
      const res = await t.http().get('/api/capsules/scheduled').expect(200);
      const tokyo = res.body.find((s: { slug: string }) => s.slug === 'tokyo');
      expect(tokyo).toMatchObject({ runs_today: 2, next_run: '2026-11-25T00:00:00.000Z', state: 'up' });
    });

    it('filters by state (repeatable)', async () => {
      const fresh = await t.http().get('/api/capsules/scheduled?state=new').expect(200);
      expect(fresh.body.map((s: { slug: string }) => s.slug)).toEqual(['ny-0230']);
      const both = await t.http().get('/api/capsules/scheduled?state=new&state=up').expect(200);
      expect(both.body.map((s: { slug: string }) => s.slug)).toEqual(['ny-0230', 'tokyo']);
      const late = await t.http().get('/api/capsules/scheduled?state=late').expect(200);
      expect(late.body.map((s: { slug: string }) => s.slug)).toEqual(['aged']);
    });

    it('rejects an unknown state with 422', async () => {
      const res = await t.http().get('/api/capsules/scheduled?state=sleeping').expect(422);
      expect(res.body.errors[0].field).toBe('state');
    });
  });
});
