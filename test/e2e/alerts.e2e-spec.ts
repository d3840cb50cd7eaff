import { createHmac } from 'node:crypto';
import type { Test } from 'supertest';
import { FixedClock, loadConfig } from '@app/common';
import { committedOpenApiDocument, OpenApiResponseValidator } from '../support/openapi-response-validator';
import { HttpReceiver, SmtpReceiver } from '../support/receivers';
import { type AppOnUrl, createAppOnUrl } from '../support/app-on-url';
import { createTestApp, type TestApp } from '../support/test-app';
import { until } from '../support/until';

/**
 * Alerts end to end: the real app, a real HTTP receiver and a real SMTP server on loopback.
 * The clock is fixed (the detector reads it), so "late" is a clock move, not a wait.
 */
describe('alerts', () => {
  const clock = new FixedClock(new Date('2026-12-02T05:00:00.000Z'));
  const receiver = new HttpReceiver();
  const smtp = new SmtpReceiver();
  let t: TestApp;
  let secret: string;

  beforeAll(async () => {
    await receiver.start();
    await smtp.start();
    t = await createTestApp({
      clock,
      config: {
        // The receivers are on loopback: allowed explicitly, not by the test environment's default.
        alertsAllowPrivateDestinations: true,
        alertsPollIntervalMs: 50,
        alertsRetryBaseMs: 20,
        smtpUrl: smtp.url,
        alertsLinkTemplate: 'https://dash.example/c/{slug}',
      },
    });
    const created = await t
      .http()
      .post('/api/channels')
      .send({ name: 'ops-webhook', type: 'webhook', url: `${receiver.url}/hook` })
      .expect(201);
    secret = created.body.secret as string;
  });

  afterAll(async () => {
    await t.close();
    await receiver.stop();
    await smtp.stop();
  });

  async function register(slug: string, extra: Record<string, unknown> = {}): Promise<void> {
    await t
      .http()
      .post('/api/capsules')
      .send({ slug, title: `Capsule ${slug}`, kind: 'dispatch', mode: 'automated', ...extra })
      .expect(200);
  }

  async function report(slug: string, status: string, startedAt: string, completedAt?: string): Promise<number> {
    const res = await t
      .http()
      .post('/api/capsules/run')
      .send({
        capsule_slug: slug,
        actor: 'cron',
        status,
        started_at: startedAt,
        ...(completedAt ? { completed_at: completedAt } : {}),
      })
      .expect(200);
    return res.body.id as number;
  }

  /** The webhook bodies about one capsule, in the order they arrived. */
  const hooksFor = (slug: string) =>
    receiver.bodies('/hook').filter((b) => (b.capsule as { slug: string }).slug === slug);

  it('creates a webhook channel with a Standard Webhooks secret shown once, and masks its URL', async () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const list = await t.http().get('/api/channels').expect(200);
    expect(list.body).toEqual([
      expect.objectContaining({ name: 'ops-webhook', type: 'webhook', target: `${receiver.url}/…`, healthy: true }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain('/hook');
    expect(JSON.stringify(list.body)).not.toContain(secret);
  });

  it('a failed run sends one signed capsule.down webhook that verifies with the secret', async () => {
    await register('dawn-dispatch', { schedule: '0 6 * * *', grace_seconds: 300 });
    await report('dawn-dispatch', 'success', '2026-12-01T06:00:00Z', '2026-12-01T06:01:00Z');
    const runId = await report('dawn-dispatch', 'error', '2026-12-02T04:00:00Z', '2026-12-02T04:00:30Z');
    await until(() => hooksFor('dawn-dispatch').length === 1, 'the down webhook');
    const request = receiver.requests.find((r) => r.body.includes('"dawn-dispatch"'))!;
    const id = request.headers['webhook-id'] as string;
    const timestamp = request.headers['webhook-timestamp'] as string;
    const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
      .update(`${id}.${timestamp}.${request.body}`)
      .digest('base64');
    expect(request.headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(JSON.parse(request.body)).toMatchObject({
      type: 'capsule.down',
      capsule: { slug: 'dawn-dispatch', title: 'Capsule dawn-dispatch', kind: 'dispatch' },
      from: 'up',
      to: 'down',
      reason: 'failed',
      at: '2026-12-02T04:00:30.000Z',
      run: { id: runId, status: 'error', duration_ms: 30_000 },
      next_expected_run: '2026-12-02T06:00:00.000Z',
      link: 'https://dash.example/c/dawn-dispatch',
    });
  });

  it('a success after down sends capsule.up (recovered); the flips record both with durations', async () => {
    await report('dawn-dispatch', 'success', '2026-12-02T04:30:00Z', '2026-12-02T04:31:00Z');
    await until(() => hooksFor('dawn-dispatch').length === 2, 'the up webhook');
    expect(hooksFor('dawn-dispatch')[1]).toMatchObject({
      type: 'capsule.up',
      from: 'down',
      to: 'up',
      reason: 'recovered',
    });
    const flips = await t.http().get('/api/capsules/dawn-dispatch/flips?window=7d').expect(200);
    expect(flips.body.flips.map((f: { reason: string }) => f.reason)).toEqual(['recovered', 'failed']);
    expect(flips.body.flips[1]).toMatchObject({ to: 'down', at: '2026-12-02T04:00:30.000Z', duration_seconds: 1830 });
    expect(flips.body.downtime_seconds).toBe(1830);
  });

  it('a capsule that misses its slot goes down at due + grace, once, and its webhook says so', async () => {
    clock.set('2026-12-02T06:04:59.000Z');
    const settings = await t.http().get('/api/capsules/dawn-dispatch/alerts').expect(200);
    expect(settings.body).toMatchObject({ status: 'up', alert_after: '2026-12-02T06:05:00.000Z' });
    clock.set('2026-12-02T06:20:00.000Z');
    await until(() => hooksFor('dawn-dispatch').length === 3, 'the missed webhook');
    expect(hooksFor('dawn-dispatch')[2]).toMatchObject({
      type: 'capsule.down',
      reason: 'missed',
      at: '2026-12-02T06:05:00.000Z',
      run: null,
    });
    const after = await t.http().get('/api/capsules/dawn-dispatch/alerts').expect(200);
    expect(after.body).toMatchObject({ status: 'down', alert_after: null });
  });

  it('after N consecutive failures, not before', async () => {
    await register('treasury-recon');
    await t
      .http()
      .patch('/api/capsules/treasury-recon/alerts')
      .send({ rules: { failure: { after: 3 } } })
      .expect(200);
    await report('treasury-recon', 'success', '2026-12-02T06:00:00Z', '2026-12-02T06:00:10Z');
    await report('treasury-recon', 'error', '2026-12-02T06:01:00Z', '2026-12-02T06:01:10Z');
    await report('treasury-recon', 'timeout', '2026-12-02T06:02:00Z', '2026-12-02T06:02:10Z');
    const before = await t.http().get('/api/capsules/treasury-recon/flips').expect(200);
    expect(before.body.flips).toEqual([]);
    await report('treasury-recon', 'error', '2026-12-02T06:03:00Z', '2026-12-02T06:03:10Z');
    await until(() => hooksFor('treasury-recon').length === 1, 'the streak webhook');
    expect(hooksFor('treasury-recon')[0]).toMatchObject({ reason: 'failure_streak', to: 'down' });
  });

  it('a failure rate over the last M runs', async () => {
    await register('rate-capsule');
    await t
      .http()
      .patch('/api/capsules/rate-capsule/alerts')
      .send({ rules: { failure: { rate: 0.5, window: 4 } } })
      .expect(200);
    await report('rate-capsule', 'error', '2026-12-02T06:00:00Z', '2026-12-02T06:00:01Z');
    await report('rate-capsule', 'success', '2026-12-02T06:01:00Z', '2026-12-02T06:01:01Z');
    await report('rate-capsule', 'success', '2026-12-02T06:02:00Z', '2026-12-02T06:02:01Z');
    expect((await t.http().get('/api/capsules/rate-capsule/flips').expect(200)).body.flips).toEqual([]);
    await report('rate-capsule', 'error', '2026-12-02T06:03:00Z', '2026-12-02T06:03:01Z');
    await until(() => hooksFor('rate-capsule').length === 1, 'the rate webhook');
    expect(hooksFor('rate-capsule')[0]).toMatchObject({ reason: 'failure_rate' });
  });

  it('a receiver that answers 500 three times then 200 gets the message four times with one id, delivered once', async () => {
    await register('flaky-receiver');
    receiver.answers.push(500, 500, 500);
    await report('flaky-receiver', 'error', '2026-12-02T06:10:00Z', '2026-12-02T06:10:01Z');
    await until(() => hooksFor('flaky-receiver').length === 4, 'four attempts');
    const ids = receiver.requests
      .filter((r) => r.body.includes('"flaky-receiver"'))
      .map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    await until(async () => {
      const res = await t.http().get('/api/notifications?capsule_slug=flaky-receiver').expect(200);
      return res.body[0]?.status === 'delivered';
    }, 'the notification delivered');
    const [notification] = (await t.http().get('/api/notifications?capsule_slug=flaky-receiver').expect(200)).body;
    expect(notification).toMatchObject({
      status: 'delivered',
      attempts: 4,
      message_id: ids[0],
      channel_name: 'ops-webhook',
    });
    expect(notification.attempt_log.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 500, 200]);
    // Filtered by the channel too (a query parameter, read as a number).
    const byChannel = await t.http().get(`/api/notifications?channel_id=${notification.channel_id}`).expect(200);
    expect(byChannel.body.map((n: { id: number }) => n.id)).toContain(notification.id);
    await t.http().get('/api/notifications?channel_id=').expect(200);
    expect(notification.attempt_log[0].error).toBe('the receiver answered HTTP 500');
  });

  it('a snoozed capsule records its flip but notifies no one', async () => {
    await register('snoozed-capsule');
    await t.http().get('/api/capsules/snoozed-capsule/snooze').expect(404);
    await t
      .http()
      .put('/api/capsules/snoozed-capsule/snooze')
      .send({ until: '2026-12-03T00:00:00Z' })
      .expect(200, { slug: 'snoozed-capsule', until: '2026-12-03T00:00:00.000Z' });
    await t.http().get('/api/capsules/snoozed-capsule/snooze').expect(200);
    await report('snoozed-capsule', 'error', '2026-12-02T06:11:00Z', '2026-12-02T06:11:01Z');
    const flips = await t.http().get('/api/capsules/snoozed-capsule/flips').expect(200);
    expect(flips.body.flips).toEqual([expect.objectContaining({ reason: 'failed', notified: false })]);
    expect((await t.http().get('/api/notifications?capsule_slug=snoozed-capsule').expect(200)).body).toEqual([]);
    await t.http().delete('/api/capsules/snoozed-capsule/snooze').expect(204);
    await t.http().get('/api/capsules/snoozed-capsule/snooze').expect(404);
    // Unmuted, its recovery is recorded but tells no one: no one was told it was down.
    await report('snoozed-capsule', 'success', '2026-12-02T06:12:00Z', '2026-12-02T06:12:01Z');
    const after = await t.http().get('/api/capsules/snoozed-capsule/flips').expect(200);
    expect(after.body.flips[0]).toMatchObject({ reason: 'recovered', notified: false });
    expect((await t.http().get('/api/notifications?capsule_slug=snoozed-capsule').expect(200)).body).toEqual([]);
  });

  it('e-mail and Slack channels routed by kind get their own formats', async () => {
    await t
      .http()
      .post('/api/channels')
      .send({ name: 'oncall-mail', type: 'email', to: 'oncall@example.com', kinds: ['ceremony'] })
      .expect(201)
      .expect((res) => expect(res.body.secret).toBeUndefined());
    await t
      .http()
      .post('/api/channels')
      .send({ name: 'ops-slack', type: 'slack', url: `${receiver.url}/slack`, kinds: ['ceremony'] })
      .expect(201);
    await register('moon-ceremony', { kind: 'ceremony' });
    await report('moon-ceremony', 'error', '2026-12-02T06:12:00Z', '2026-12-02T06:12:05Z');
    await until(
      () => smtp.messages.length === 1 && receiver.bodies('/slack').length === 1,
      'the mail and the Slack message',
    );
    expect(smtp.messages[0].to).toEqual(['oncall@example.com']);
    expect(smtp.messages[0].data).toContain(
      'Subject: [capsules] Capsule moon-ceremony (moon-ceremony) is DOWN: failed',
    );
    expect(receiver.bodies('/slack')[0]).toMatchObject({
      text: 'Capsule moon-ceremony (moon-ceremony) is DOWN: failed',
      blocks: expect.any(Array),
    });
    // Routed by kind: the mail channel got nothing of the other capsules.
    expect(smtp.messages.every((m) => m.data.includes('moon-ceremony'))).toBe(true);
  });

  it('a test send reports its outcome and is logged', async () => {
    const [channel] = (await t.http().get('/api/channels').expect(200)).body;
    const res = await t.http().post(`/api/channels/${channel.id}/test`).expect(200);
    expect(res.body).toMatchObject({ delivered: true, status_code: 200, error: null });
    expect(receiver.bodies('/hook').at(-1)).toMatchObject({ type: 'test' });
  });

  it('a run still running past max_runtime_seconds goes down as stuck, at start + max runtime', async () => {
    await register('hanging-job', { max_runtime_seconds: 600 });
    clock.set('2026-12-02T07:00:00.000Z');
    const runId = await report('hanging-job', 'running', '2026-12-02T06:55:00Z');
    expect((await t.http().get('/api/capsules/hanging-job/alerts').expect(200)).body).toMatchObject({
      status: 'up',
      alert_after: '2026-12-02T07:05:00.000Z',
    });
    clock.set('2026-12-02T07:06:00.000Z');
    await until(() => hooksFor('hanging-job').length === 1, 'the stuck webhook');
    expect(hooksFor('hanging-job')[0]).toMatchObject({ reason: 'stuck', at: '2026-12-02T07:05:00.000Z' });
    // Another run succeeds: back up, and the hung run, already alerted on, does not flip it again.
    await report('hanging-job', 'success', '2026-12-02T07:05:30Z', '2026-12-02T07:05:40Z');
    await until(() => hooksFor('hanging-job').length === 2, 'the recovery webhook');
    expect(hooksFor('hanging-job')[1]).toMatchObject({ reason: 'recovered', to: 'up' });
    expect((await t.http().get('/api/capsules/hanging-job/alerts').expect(200)).body).toMatchObject({
      status: 'up',
      alert_after: null,
    });
    // It finishes at last: history, no flip.
    await t
      .http()
      .patch(`/api/capsules/runs/${runId}`)
      .send({ status: 'success', completed_at: '2026-12-02T07:05:50Z' })
      .expect(200);
    const flips = (await t.http().get('/api/capsules/hanging-job/flips').expect(200)).body.flips;
    expect(flips.map((f: { reason: string }) => f.reason)).toEqual(['recovered', 'stuck']);
  });

  it('a run slower than its limit goes down as slow', async () => {
    await register('slow-job');
    await t
      .http()
      .patch('/api/capsules/slow-job/alerts')
      .send({ rules: { slow: { max_seconds: 60 } } })
      .expect(200);
    await report('slow-job', 'success', '2026-12-02T06:00:00Z', '2026-12-02T06:00:59Z');
    await report('slow-job', 'success', '2026-12-02T06:10:00Z', '2026-12-02T06:11:01Z');
    await until(() => hooksFor('slow-job').length === 1, 'the slow webhook');
    expect(hooksFor('slow-job')[0]).toMatchObject({ reason: 'slow', run: { duration_ms: 61_000 } });
  });

  it('archiving a capsule pauses it and restoring it resumes it, recorded without notifications', async () => {
    await register('seasonal');
    await report('seasonal', 'success', '2026-12-02T06:00:00Z', '2026-12-02T06:00:10Z');
    await t.http().patch('/api/capsules/seasonal').send({ status: 'archived' }).expect(200);
    await until(
      async () => (await t.http().get('/api/capsules/seasonal/alerts').expect(200)).body.status === 'paused',
      'the pause',
    );
    await t.http().patch('/api/capsules/seasonal').send({ status: 'active' }).expect(200);
    await until(
      async () => (await t.http().get('/api/capsules/seasonal/alerts').expect(200)).body.status === 'up',
      'the resume',
    );
    // At the instants the capsule was archived and restored (its updated_at: the database's clock,
    // not this test's fixed one, so read from the table rather than a window ending at the test's now).
    const flips = await t.dataSource.query(
      `SELECT f.reason, f.notified FROM capsule_flips f JOIN capsules c ON c.id = f.capsule_id
       WHERE c.slug = 'seasonal' ORDER BY f.id`,
    );
    expect(flips).toEqual([
      { reason: 'paused', notified: false },
      { reason: 'resumed', notified: false },
    ]);
    expect(hooksFor('seasonal')).toEqual([]);
  });

  it('a schedule changed to an earlier hour moves the deadline at once', async () => {
    await register('moved-job', { schedule: '0 12 * * *', grace_seconds: 60 });
    clock.set('2026-12-02T08:00:00.000Z');
    await report('moved-job', 'success', '2026-12-02T07:00:00Z', '2026-12-02T07:00:05Z');
    expect((await t.http().get('/api/capsules/moved-job/alerts').expect(200)).body.alert_after).toBe(
      '2026-12-02T12:01:00.000Z',
    );
    await t.http().patch('/api/capsules/moved-job').send({ schedule: '0 9 * * *' }).expect(200);
    await until(
      async () =>
        (await t.http().get('/api/capsules/moved-job/alerts').expect(200)).body.alert_after ===
        '2026-12-02T09:01:00.000Z',
      'the deadline of the new schedule',
    );
  });

  it('/metrics shows flips by reason, notifications by channel type and outcome, lag and channel health', async () => {
    const res = await t.http().get('/metrics').expect(200);
    expect(res.text).toMatch(/^capsules_flips\{reason="failed"\} [1-9]/m);
    expect(res.text).toMatch(/^capsules_notifications\{channel_type="webhook",status="delivered"\} [1-9]/m);
    expect(res.text).toMatch(/^capsules_notifications\{channel_type="email",status="delivered"\} 1$/m);
    expect(res.text).toMatch(/^capsules_alert_detector_lag_seconds 0$/m);
    expect(res.text).toMatch(/^capsules_alert_channel_healthy\{channel="ops-webhook",type="webhook"\} 1$/m);
  });

  it('every webhook body received matches the NotificationPayloadDto schema of openapi.json', () => {
    const validator = new OpenApiResponseValidator(committedOpenApiDocument());
    const payloads = receiver.bodies('/hook');
    expect(payloads.length).toBeGreaterThan(10);
    for (const payload of payloads) expect(validator.schemaProblems('NotificationPayloadDto', payload)).toEqual([]);
  });

  it('bad channel bodies are 422s that store nothing', async () => {
    const bad = [
      { name: 'x', type: 'pager', url: 'https://example.com' },
      { name: 'x', type: 'webhook' },
      { name: 'x', type: 'webhook', url: 'ftp://example.com/' },
      { name: 'x', type: 'email', to: 'not-an-address' },
      { name: '', type: 'webhook', url: 'https://example.com/' },
    ];
    for (const body of bad) await t.http().post('/api/channels').send(body).expect(422);
    await t
      .http()
      .post('/api/channels')
      .send({ name: 'ops-webhook', type: 'webhook', url: 'https://example.com/' })
      .expect(409);
    await t
      .http()
      .patch('/api/capsules/dawn-dispatch/alerts')
      .send({ rules: { failure: { after: 2, rate: 0.5, window: 4 } } })
      .expect(422);
    const [channel] = (await t.http().get('/api/channels').expect(200)).body;
    await t.http().patch(`/api/channels/${channel.id}`).send({ url: null }).expect(422);
    await t.http().patch(`/api/channels/${channel.id}`).send({ to: 'a@example.com' }).expect(422);
    await t.http().get('/api/notifications?channel_id=3000000000').expect(422);
    await t.http().post('/api/channels/99999/test').expect(404);
    expect((await t.http().get('/api/channels').expect(200)).body).toHaveLength(3);
    expect((await t.http().get(`/api/channels/${channel.id}`).expect(200)).body).toEqual(channel);
  });
});

describe('alerts with replicas side by side', () => {
  const clock = new FixedClock(new Date('2026-12-02T05:00:00.000Z'));
  const receiver = new HttpReceiver();
  let first: TestApp;
  let second: AppOnUrl;

  beforeAll(async () => {
    await receiver.start();
    const config = { alertsAllowPrivateDestinations: true, alertsPollIntervalMs: 20, alertsRetryBaseMs: 20 };
    first = await createTestApp({ clock, config });
    second = await createAppOnUrl(first.db.url, { clock, config });
    for (const name of ['one', 'two']) {
      await first
        .http()
        .post('/api/channels')
        .send({ name, type: 'webhook', url: `${receiver.url}/${name}` })
        .expect(201);
    }
  });

  afterAll(async () => {
    await second.close();
    await first.close();
    await receiver.stop();
  });

  it('a failure, a missed slot and a recovery each reach each channel once, whichever replica saw them', async () => {
    const replicas = [first, second];
    for (let i = 0; i < 6; i++) {
      const slug = `fleet-${i}`;
      await replicas[i % 2]
        .http()
        .post('/api/capsules')
        .send({ slug, title: slug, kind: 'k', mode: 'm', schedule: '0 6 * * *', grace_seconds: 60 })
        .expect(200);
      await replicas[(i + 1) % 2]
        .http()
        .post('/api/capsules/run')
        .send({
          capsule_slug: slug,
          actor: 'cron',
          status: 'success',
          started_at: '2026-12-01T06:00:00Z',
          completed_at: '2026-12-01T06:00:10Z',
        })
        .expect(200);
      // Half fail now; all miss their 06:00 slot later; the failed ones recover first.
      if (i % 2 === 0) {
        await replicas[i % 2]
          .http()
          .post('/api/capsules/run')
          .send({
            capsule_slug: slug,
            actor: 'cron',
            status: 'error',
            started_at: '2026-12-02T04:00:00Z',
            completed_at: '2026-12-02T04:00:10Z',
          })
          .expect(200);
        await replicas[(i + 1) % 2]
          .http()
          .post('/api/capsules/run')
          .send({
            capsule_slug: slug,
            actor: 'cron',
            status: 'success',
            started_at: '2026-12-02T04:30:00Z',
            completed_at: '2026-12-02T04:30:10Z',
          })
          .expect(200);
      }
    }
    clock.set('2026-12-02T06:30:00.000Z');
    // 3 failures + 3 recoveries + 6 missed = 12 flips, on each of the two channels.
    await until(
      () => receiver.bodies('/one').length >= 12 && receiver.bodies('/two').length >= 12,
      'every notification on both channels',
    );
    await until(async () => {
      const res = await first.http().get('/api/notifications?status=pending').expect(200);
      return res.body.length === 0;
    }, 'the outbox to drain');
    for (const channel of ['/one', '/two']) {
      const ids = receiver.requests.filter((r) => r.path === channel).map((r) => r.headers['webhook-id']);
      expect(ids).toHaveLength(12);
      expect(new Set(ids).size).toBe(12);
    }
    const [{ n }] = await first.dataSource.query(`SELECT count(*)::int AS n FROM capsule_flips`);
    expect(n).toBe(12);
  });

  it('a run stuck past max_runtime_seconds flips once and reaches each channel once, with both detectors running', async () => {
    const replicas = [first, second];
    clock.set('2026-12-02T07:00:00.000Z');
    for (let i = 0; i < 4; i++) {
      const slug = `hung-${i}`;
      await replicas[i % 2]
        .http()
        .post('/api/capsules')
        .send({ slug, title: slug, kind: 'k', mode: 'm', max_runtime_seconds: 600 })
        .expect(200);
      await replicas[(i + 1) % 2]
        .http()
        .post('/api/capsules/run')
        .send({ capsule_slug: slug, actor: 'cron', status: 'running', started_at: '2026-12-02T06:58:00Z' })
        .expect(200);
      const settings = await replicas[i % 2].http().get(`/api/capsules/${slug}/alerts`).expect(200);
      expect(settings.body).toMatchObject({ status: 'up', alert_after: '2026-12-02T07:08:00.000Z' });
    }
    // Past every stuck deadline: both replicas' detectors see the four capsules due at once.
    clock.set('2026-12-02T07:30:00.000Z');
    const hung = (path: string) => receiver.requests.filter((r) => r.path === path && r.body.includes('"hung-'));
    await until(() => hung('/one').length >= 4 && hung('/two').length >= 4, 'the stuck notifications on both channels');
    await until(async () => {
      const res = await second.http().get('/api/notifications?status=pending').expect(200);
      return res.body.length === 0;
    }, 'the outbox to drain');
    for (const channel of ['/one', '/two']) {
      const bodies = hung(channel).map((r) => JSON.parse(r.body) as { capsule: { slug: string } });
      expect(bodies.map((b) => b.capsule.slug).sort()).toEqual(['hung-0', 'hung-1', 'hung-2', 'hung-3']);
      expect(bodies).toEqual(
        Array(4).fill(
          expect.objectContaining({ type: 'capsule.down', reason: 'stuck', at: '2026-12-02T07:08:00.000Z' }),
        ),
      );
      expect(new Set(hung(channel).map((r) => r.headers['webhook-id'])).size).toBe(4);
    }
    const flips = await first.dataSource.query(
      `SELECT c.slug, count(*)::int AS n FROM capsule_flips f JOIN capsules c ON c.id = f.capsule_id
       WHERE f.reason = 'stuck' GROUP BY c.slug ORDER BY c.slug`,
    );
    expect(flips).toEqual(['hung-0', 'hung-1', 'hung-2', 'hung-3'].map((slug) => ({ slug, n: 1 })));
    const [{ n }] = await first.dataSource.query(`SELECT count(*)::int AS n FROM notifications WHERE flip_id IN
       (SELECT id FROM capsule_flips WHERE reason = 'stuck')`);
    expect(n).toBe(8);
    for (let i = 0; i < 4; i++) {
      const settings = await first.http().get(`/api/capsules/hung-${i}/alerts`).expect(200);
      expect(settings.body).toMatchObject({ status: 'down', alert_after: null });
    }
  });
});

describe('alerts routing and channel health', () => {
  const clock = new FixedClock(new Date('2026-12-02T05:00:00.000Z'));
  const receiver = new HttpReceiver();
  const broken = new HttpReceiver();
  let t: TestApp;

  beforeAll(async () => {
    await receiver.start();
    await broken.start();
    broken.status = 500;
    t = await createTestApp({
      clock,
      config: {
        alertsAllowPrivateDestinations: true,
        alertsPollIntervalMs: 50,
        alertsRetryBaseMs: 20,
        alertsMaxAttempts: 4,
      },
    });
  });

  afterAll(async () => {
    await t.close();
    await receiver.stop();
    await broken.stop();
  });

  async function channel(name: string, url: string, routing: Record<string, string[]>): Promise<number> {
    const res = await t
      .http()
      .post('/api/channels')
      .send({ name, type: 'webhook', url, ...routing })
      .expect(201);
    expect(res.body).toMatchObject({ capsules: [], kinds: [], tags: [], ...routing });
    return res.body.id as number;
  }

  async function failingCapsule(slug: string, extra: Record<string, unknown>): Promise<void> {
    await t
      .http()
      .post('/api/capsules')
      .send({ slug, title: slug, kind: 'dispatch', mode: 'automated', ...extra })
      .expect(200);
    await t
      .http()
      .post('/api/capsules/run')
      .send({
        capsule_slug: slug,
        actor: 'cron',
        status: 'error',
        started_at: '2026-12-02T04:00:00Z',
        completed_at: '2026-12-02T04:00:10Z',
      })
      .expect(200);
  }

  const slugsAt = (path: string) => receiver.bodies(path).map((b) => (b.capsule as { slug: string }).slug);

  it('routes by tag and by capsule slug, and a kind that does not match gets nothing', async () => {
    await channel('by-tag', `${receiver.url}/a`, { tags: ['treasury'] });
    await channel('by-slug', `${receiver.url}/b`, { capsules: ['ledger-close'] });
    await channel('by-other-kind', `${receiver.url}/c`, { kinds: ['ceremony'] });
    // Matched by its tag (A) and its slug (B); its kind is `dispatch`, not C's.
    await failingCapsule('ledger-close', { tags: ['nightly', 'treasury'] });
    // Matched by its tag alone: A only.
    await failingCapsule('fx-rates', { tags: ['treasury'] });
    // Matched by nothing: no one.
    await failingCapsule('unrouted', { tags: ['misc'] });
    await until(() => slugsAt('/a').length >= 2 && slugsAt('/b').length >= 1, 'the routed notifications');
    await until(async () => {
      const res = await t.http().get('/api/notifications?status=pending').expect(200);
      return res.body.length === 0;
    }, 'the outbox to drain');
    const flips = (await t.http().get('/api/capsules/unrouted/flips?window=7d').expect(200)).body.flips;
    expect(flips).toEqual([expect.objectContaining({ reason: 'failed' })]);
    expect(slugsAt('/a').sort()).toEqual(['fx-rates', 'ledger-close']);
    expect(slugsAt('/b')).toEqual(['ledger-close']);
    expect(slugsAt('/c')).toEqual([]);
    expect(receiver.bodies('/b')[0]).toMatchObject({ type: 'capsule.down', reason: 'failed' });
    const notifications = (await t.http().get('/api/notifications?capsule_slug=ledger-close').expect(200)).body;
    expect(notifications.map((n: { channel_name: string }) => n.channel_name).sort()).toEqual(['by-slug', 'by-tag']);
    expect((await t.http().get('/api/notifications?capsule_slug=unrouted').expect(200)).body).toEqual([]);
  });

  it('a channel whose receiver keeps answering 500 becomes unhealthy in the API and /metrics, until one succeeds', async () => {
    const id = await channel('broken-hook', `${broken.url}/hook`, { capsules: ['broken-route'] });
    expect((await t.http().get(`/api/channels/${id}`).expect(200)).body).toMatchObject({
      healthy: true,
      consecutive_failures: 0,
    });
    await failingCapsule('broken-route', {});
    await until(async () => {
      const res = await t.http().get('/api/notifications?capsule_slug=broken-route').expect(200);
      return res.body[0]?.status === 'failed';
    }, 'the notification to fail for good');
    const [notification] = (await t.http().get('/api/notifications?capsule_slug=broken-route').expect(200)).body;
    expect(notification).toMatchObject({ channel_name: 'broken-hook', attempts: 4 });
    expect(notification.attempt_log.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 500, 500]);
    expect(broken.requests).toHaveLength(4);
    const unhealthy = (await t.http().get(`/api/channels/${id}`).expect(200)).body;
    expect(unhealthy).toMatchObject({ healthy: false, consecutive_failures: 4, last_success_at: null });
    expect(unhealthy.last_failure_at).toEqual(expect.any(String));
    const listed = (await t.http().get('/api/channels').expect(200)).body;
    expect(listed.find((c: { id: number }) => c.id === id)).toMatchObject({ healthy: false });
    // The other channels are untouched.
    expect(listed.filter((c: { id: number }) => c.id !== id).every((c: { healthy: boolean }) => c.healthy)).toBe(true);
    const metrics = await t.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^capsules_alert_channel_healthy\{channel="broken-hook",type="webhook"\} 0$/m);
    expect(metrics.text).toMatch(/^capsules_alert_channel_healthy\{channel="by-tag",type="webhook"\} 1$/m);
    expect(metrics.text).toMatch(/^capsules_notifications\{channel_type="webhook",status="failed"\} 1$/m);
    // The receiver is back: a successful send makes the channel healthy again.
    broken.status = 200;
    const test = await t.http().post(`/api/channels/${id}/test`).expect(200);
    expect(test.body).toMatchObject({ delivered: true, status_code: 200 });
    expect((await t.http().get(`/api/channels/${id}`).expect(200)).body).toMatchObject({
      healthy: true,
      consecutive_failures: 0,
    });
    const after = await t.http().get('/metrics').expect(200);
    expect(after.text).toMatch(/^capsules_alert_channel_healthy\{channel="broken-hook",type="webhook"\} 1$/m);
  });
});

describe('alerts in production (NODE_ENV=production, no ALERTS_ALLOW_PRIVATE_DESTINATIONS)', () => {
  const ADMIN_KEY = 'admin-key-0123456789abcdefghijklmnop';
  const receiver = new HttpReceiver();
  let t: TestApp;
  const admin = (test: Test) => test.set('Authorization', `Bearer ${ADMIN_KEY}`);

  beforeAll(async () => {
    await receiver.start();
    // The configuration a production deployment loads (the allowance left to its default),
    // with this harness's test settings (no rate limits, a small pool, a quick detector).
    const production = loadConfig({ NODE_ENV: 'production', API_KEYS: `ops:admin:${ADMIN_KEY}` });
    t = await createTestApp({
      config: {
        ...production,
        dbPoolSize: 4,
        rateLimitPerIp: 0,
        rateLimitPerKey: 0,
        alertsPollIntervalMs: 50,
        slotsPollIntervalMs: 0,
        logLevel: 'silent',
      },
    });
  });

  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  it('refuses a loopback webhook on create with a 422 problem naming url, and stores nothing', async () => {
    for (const url of [`${receiver.url}/hook`, 'http://localhost:8080/hook']) {
      const res = await admin(t.http().post('/api/channels'))
        .send({ name: 'inside', type: 'webhook', url })
        .expect(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
      expect(res.body.errors).toEqual([
        { field: 'url', message: expect.stringContaining('must not point to a private, loopback or link-local') },
      ]);
    }
    expect((await admin(t.http().get('/api/channels')).expect(200)).body).toEqual([]);
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM alert_channels`);
    expect(n).toBe(0);
    expect(receiver.requests).toEqual([]);
  });

  it('refuses moving an outward channel to loopback, and keeps its destination', async () => {
    const created = await admin(t.http().post('/api/channels'))
      .send({ name: 'outside', type: 'webhook', url: 'https://hooks.example.com/capsules' })
      .expect(201);
    const res = await admin(t.http().patch(`/api/channels/${created.body.id}`))
      .send({ url: `${receiver.url}/hook` })
      .expect(422);
    expect(res.body.errors[0]).toMatchObject({ field: 'url' });
    const [row] = await t.dataSource.query(`SELECT target FROM alert_channels WHERE id = $1`, [created.body.id]);
    expect(row.target).toBe('https://hooks.example.com/capsules');
  });
});

describe('alerts in production mode (SSRF guard)', () => {
  const receiver = new HttpReceiver();
  let t: TestApp;

  beforeAll(async () => {
    await receiver.start();
    t = await createTestApp({ config: { alertsAllowPrivateDestinations: false, alertsPollIntervalMs: 50 } });
  });

  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  it('refuses e-mail channels while SMTP_URL is unset', async () => {
    const res = await t
      .http()
      .post('/api/channels')
      .send({ name: 'mail', type: 'email', to: 'oncall@example.com' })
      .expect(422);
    expect(res.body.errors[0]).toMatchObject({ field: 'type' });
  });

  it('refuses channels to loopback, private and link-local addresses', async () => {
    for (const url of [
      `${receiver.url}/hook`,
      'http://10.1.2.3/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]:8080/',
      'http://localhost:8080/',
    ]) {
      const res = await t.http().post('/api/channels').send({ name: 'inside', type: 'webhook', url }).expect(422);
      expect(res.body.errors[0]).toMatchObject({ field: 'url' });
    }
    expect((await t.http().get('/api/channels').expect(200)).body).toEqual([]);
  });

  it('refuses at send time a name that resolves inward, and sends nothing', async () => {
    // A name that resolved outward when the channel was made may resolve inward later (DNS rebinding).
    const port = new URL(receiver.url).port;
    await t.dataSource.query(
      `INSERT INTO alert_channels (name, type, target, secret) VALUES ('rebound', 'webhook', $1, 'whsec_AAAA')`,
      [`http://localhost:${port}/hook`],
    );
    const [channel] = (await t.http().get('/api/channels').expect(200)).body;
    const res = await t.http().post(`/api/channels/${channel.id}/test`).expect(200);
    expect(res.body).toMatchObject({ delivered: false, status_code: null });
    expect(res.body.error).toContain('destination refused');
    expect(receiver.requests).toEqual([]);
  });
});
