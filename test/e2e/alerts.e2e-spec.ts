import { createHmac } from 'node:crypto';
import { FixedClock } from '@app/common';
import { HttpReceiver, SmtpReceiver } from '../support/receivers';
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
    expect(notification.attempt_log[0].error).toBe('the receiver answered HTTP 500');
  });

  it('a snoozed capsule records its flip but notifies no one', async () => {
    await register('snoozed-capsule');
    await t.http().post('/api/capsules/snoozed-capsule/snooze').send({ until: '2026-12-03T00:00:00Z' }).expect(200);
    await report('snoozed-capsule', 'error', '2026-12-02T06:11:00Z', '2026-12-02T06:11:01Z');
    const flips = await t.http().get('/api/capsules/snoozed-capsule/flips').expect(200);
    expect(flips.body.flips).toEqual([expect.objectContaining({ reason: 'failed', notified: false })]);
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
    expect((await t.http().get('/api/channels').expect(200)).body).toHaveLength(3);
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
