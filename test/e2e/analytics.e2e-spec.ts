import { FixedClock } from '@app/common';
import { recordFinishedRun, registerCapsule } from '../support/fixtures';
import { createTestApp, type TestApp } from '../support/test-app';

describe('GET /api/capsules/performance and GET /api/capsules/scheduled', () => {
  // Standing on 2026-11-24 at 12:00Z, well after every run recorded below.
  const clock = new FixedClock(new Date('2026-11-24T12:00:00.000Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock });
    await registerCapsule(t, { slug: 'dawn-dispatch', title: 'Dawn Dispatch', schedule: '0 6 * * *' });
    await registerCapsule(t, {
      slug: 'ny-report',
      title: 'NY report',
      kind: 'treasury',
      schedule: '30 9 * * 1-5',
      timezone: 'America/New_York',
    });
    await registerCapsule(t, { slug: 'failing', title: 'Failing', schedule: '0 * * * *' });
    await registerCapsule(t, { slug: 'no-schedule', title: 'Manual', mode: 'manual' });
    await registerCapsule(t, { slug: 'archived', title: 'Old', schedule: '0 6 * * *', status: 'archived' });
    await recordFinishedRun(t, 'dawn-dispatch', '2026-11-22T06:00:00.000Z', 'success', 10);
    await recordFinishedRun(t, 'dawn-dispatch', '2026-11-23T06:00:00.000Z', 'success', 20);
    await recordFinishedRun(t, 'dawn-dispatch', '2026-11-24T06:00:00.000Z', 'success', 30);
    await recordFinishedRun(t, 'dawn-dispatch', '2026-11-21T06:00:00.000Z', 'error', 40);
    await recordFinishedRun(t, 'failing', '2026-11-24T11:00:00.000Z', 'timeout', 5);
  });

  afterAll(async () => {
    await t.close();
  });

  it('performance: one entry per capsule (also without runs), numbers as numbers', async () => {
    const res = await t.http().get('/api/capsules/performance').expect(200);
    expect(res.body.map((p: { capsule_slug: string }) => p.capsule_slug)).toEqual([
      'archived',
      'dawn-dispatch',
      'failing',
      'no-schedule',
      'ny-report',
    ]);
    const dawn = res.body.find((p: { capsule_slug: string }) => p.capsule_slug === 'dawn-dispatch');
    expect(dawn).toEqual({
      capsule_slug: 'dawn-dispatch',
      capsule_title: 'Dawn Dispatch',
      kind: 'dispatch',
      total_runs: 4,
      successful_runs: 3,
      failed_runs: 1,
      success_rate: 0.75,
      avg_runtime_seconds: 25,
      p50_runtime_seconds: expect.any(Number),
      p95_runtime_seconds: expect.any(Number),
      last_run_at: '2026-11-24T06:00:00.000Z',
      last_success_at: '2026-11-24T06:00:30.000Z',
      last_failure_at: '2026-11-21T06:00:40.000Z',
      // No slot closer in this app: nothing settled (slots.e2e-spec has the closer at work).
      uptime: { expected: 0, on_time: 0, late: 0, missed: 0, paused: 0, on_time_ratio: null },
    });
    // Nearest-rank percentiles of 10, 20, 30, 40 s, read from the runtime histogram (within 9.05 %).
    expect(Math.abs(dawn.p50_runtime_seconds - 20) / 20).toBeLessThanOrEqual(0.0906);
    expect(Math.abs(dawn.p95_runtime_seconds - 40) / 40).toBeLessThanOrEqual(0.0906);
    const idle = res.body.find((p: { capsule_slug: string }) => p.capsule_slug === 'no-schedule');
    expect(idle).toMatchObject({ total_runs: 0, success_rate: null, avg_runtime_seconds: null, last_run_at: null });
  });

  it('performance filters by kind', async () => {
    const res = await t.http().get('/api/capsules/performance?kind=treasury').expect(200);
    expect(res.body.map((p: { capsule_slug: string }) => p.capsule_slug)).toEqual(['ny-report']);
  });

  it('scheduled: active capsules with a schedule, next_run computed in their time zone', async () => {
    const res = await t.http().get('/api/capsules/scheduled').expect(200);
    expect(res.body.map((s: { slug: string }) => s.slug)).toEqual(['dawn-dispatch', 'failing', 'ny-report']);
    const [dawn, failing, ny] = res.body;
    expect(dawn).toEqual({
      slug: 'dawn-dispatch',
      title: 'Dawn Dispatch',
      kind: 'dispatch',
      schedule: '0 6 * * *',
      timezone: 'UTC',
      entrypoint: '',
      next_run: '2026-11-25T06:00:00.000Z',
      last_run: '2026-11-24T06:00:00.000Z',
      runs_today: expect.any(Number),
      state: 'up',
    });
    // Tuesday 2026-11-24 12:00Z is 07:00 in New York (EST, UTC-5): the next 09:30 is 14:30Z today.
    expect(ny).toMatchObject({ next_run: '2026-11-24T14:30:00.000Z', last_run: null, state: 'new', runs_today: 0 });
    expect(failing).toMatchObject({ next_run: '2026-11-24T13:00:00.000Z', state: 'down' });
  });

  it('scheduled state follows the clock: late within grace, down after', async () => {
    // dawn-dispatch last started 2026-11-24T06:00Z; due 2026-11-25T06:00Z; grace 300 s.
    clock.set('2026-11-25T06:04:59.999Z');
    let res = await t.http().get('/api/capsules/scheduled').expect(200);
    expect(res.body[0]).toMatchObject({ slug: 'dawn-dispatch', state: 'late', next_run: '2026-11-26T06:00:00.000Z' });
    clock.set('2026-11-25T06:05:00.000Z');
    res = await t.http().get('/api/capsules/scheduled').expect(200);
    expect(res.body[0]).toMatchObject({ slug: 'dawn-dispatch', state: 'down' });
    clock.set('2026-11-24T12:00:00.000Z');
  });
});
