import { Client } from 'pg';
import { ApiKeysService, generateApiKey } from '@app/auth';
import { FixedClock } from '@app/common';
import { ApiKeysRepository } from '../../libs/auth/src/api-keys.repository';
import { createTestApp, type TestApp } from '../support/test-app';

const KEY_A = 'key-a-0123456789abcdefghijklmnopqrs';
const KEY_B = 'key-b-0123456789abcdefghijklmnopqrs';
const KEYS = `runner-a:write:${KEY_A},runner-b:write:${KEY_B}`;

describe('rate limits', () => {
  const clock = new FixedClock(new Date('2026-11-24T08:00:00Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock, config: { apiKeys: KEYS, rateLimitPerIp: 3, rateLimitPerKey: 2 } });
  });
  afterAll(() => t.close());

  it('per key: the third request in a minute is 429 with Retry-After; another key is unaffected', async () => {
    await t.http().get('/api/capsules').set('X-API-Key', KEY_A).expect(200);
    await t.http().get('/api/capsules').set('X-API-Key', KEY_A).expect(200);
    const res = await t.http().get('/api/capsules').set('X-API-Key', KEY_A).expect(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.body).toMatchObject({ status: 429, code: 'RATE_LIMITED', retry_after: 30 });
    await t.http().get('/api/capsules').set('X-API-Key', KEY_B).expect(200);
  });

  it('a refused write stores nothing', async () => {
    await t
      .http()
      .post('/api/capsules')
      .set('X-API-Key', KEY_A)
      .send({ slug: 'x', title: 'x', kind: 'dispatch', mode: 'automated' })
      .expect(429);
    const [row] = await t.dataSource.query<{ n: number }[]>('SELECT count(*)::int AS n FROM capsules');
    expect(row.n).toBe(0);
  });

  it('the budget refills with time', async () => {
    clock.set('2026-11-24T08:00:30Z');
    await t.http().get('/api/capsules').set('X-API-Key', KEY_A).expect(200);
    await t.http().get('/api/capsules').set('X-API-Key', KEY_A).expect(429);
  });

  it('per address: callers without a good key share their address budget, bad keys included', async () => {
    await t.http().get('/api/capsules').expect(401);
    await t.http().get('/api/capsules').set('X-API-Key', 'not-a-key-0123456789abcdefghij').expect(401);
    await t.http().get('/api/capsules').set('X-API-Key', 'not-a-key-9876543210abcdefghij').expect(401);
    const res = await t.http().get('/api/capsules').set('X-API-Key', 'not-a-key-55555abcdefghij').expect(429);
    expect(res.headers['retry-after']).toBe('20');
    await t.http().get('/api/capsules').set('X-API-Key', KEY_B).expect(200);
  });

  it('probes are never rate limited', async () => {
    for (let i = 0; i < 10; i++) {
      await t.http().get('/health/live').expect(200);
      await t.http().get('/health').expect(200);
    }
  });
});

describe('rate limits under parallel load', () => {
  const clock = new FixedClock(new Date('2026-11-24T08:00:00Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock, config: { rateLimitPerIp: 5 } });
  });
  afterAll(() => t.close());

  it('50 parallel unknown database keys: only the address budget (5) is looked up, the rest 429', async () => {
    const lookups = jest.spyOn(t.app.get(ApiKeysRepository), 'findById');
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.http().get('/api/capsules').set('Authorization', `Bearer ${generateApiKey().key}`),
      ),
    );
    const statuses = answers.map((res) => res.status).sort();
    expect([statuses.filter((s) => s === 401).length, statuses.filter((s) => s === 429).length]).toEqual([5, 45]);
    expect(lookups).toHaveBeenCalledTimes(5);
  });

  it('a good database key is looked up on the address budget, then refunded to it', async () => {
    const { key } = await t.app.get(ApiKeysService).create('parallel-runner', 'read');
    clock.set(new Date(clock.now().getTime() + 60_000)); // the address budget refills: 5
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => t.http().get('/api/capsules').set('X-API-Key', key)),
    );
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
    // The address still has its whole budget for callers without a key.
    for (let i = 0; i < 5; i++)
      await t.http().get('/api/capsules').set('X-API-Key', 'not-a-key-0123456789abcdefghij').expect(401);
    await t.http().get('/api/capsules').set('X-API-Key', 'not-a-key-0123456789abcdefghij').expect(429);
  });
});

describe('rate limits behind a proxy (TRUST_PROXY=1)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ config: { apiKeys: KEYS, rateLimitPerIp: 2, trustProxy: 1 } });
  });
  afterAll(() => t.close());

  it('counts the address the proxy appended; addresses the client wrote before it change nothing', async () => {
    const via = (forwarded: string) => t.http().get('/api/capsules').set('X-Forwarded-For', forwarded);
    await via('1.1.1.1, 203.0.113.9').expect(401);
    await via('2.2.2.2, 203.0.113.9').expect(401);
    await via('3.3.3.3, 203.0.113.9').expect(429);
    await via('203.0.113.10').expect(401);
  });
});

describe('security headers and timeouts', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ config: { dbStatementTimeoutMs: 300 } });
  });
  afterAll(() => t.close());

  it('answers carry helmet headers, errors included', async () => {
    for (const res of [await t.http().get('/api/capsules').expect(200), await t.http().get('/nope').expect(404)]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('Swagger UI works over plain HTTP on a host that is not localhost: no upgrade-insecure-requests', async () => {
    const host = 'capsules.internal:8080';
    const page = await t.http().get('/docs/').set('Host', host).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = page.headers['content-security-policy'];
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(csp).toContain("script-src 'self'");
    // Every script and stylesheet of the page is same-origin and served, as the browser asks for it (http).
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      const url = new URL(asset, `http://${host}/docs/`);
      expect(url.origin).toBe(`http://${host}`);
      const res = await t.http().get(url.pathname).set('Host', host);
      expect([url.pathname, res.status]).toEqual([url.pathname, 200]);
      expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    }
  });

  it('a statement stuck behind a lock is cancelled: 503 with Retry-After, and nothing is written', async () => {
    await t.http().post('/api/capsules').send({ slug: 'locked', title: 'L', kind: 'dispatch', mode: 'automated' });
    const blocker = new Client({ connectionString: t.db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE capsule_runs IN ACCESS EXCLUSIVE MODE');
      const res = await t
        .http()
        .post('/api/capsules/run')
        .send({ capsule_slug: 'locked', actor: 'cron', status: 'success' })
        .timeout(10_000)
        .expect(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.body).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
      expect(JSON.stringify(res.body)).not.toMatch(/canceling statement|timeout|57014|capsule_runs/);
      await blocker.query('COMMIT');
    } finally {
      await blocker.end();
    }
    const [row] = await t.dataSource.query<{ n: number }[]>('SELECT count(*)::int AS n FROM capsule_runs');
    expect(row.n).toBe(0);
  });
});

describe('request timeout', () => {
  let t: TestApp;

  beforeAll(async () => {
    // A statement timeout above the request timeout (the config forbids it) to reach the last resort.
    t = await createTestApp({ config: { requestTimeoutMs: 1000, dbStatementTimeoutMs: 20_000 } });
  });
  afterAll(() => t.close());

  it.each([
    ['a read', () => t.http().get('/api/capsules')],
    // A request with a body (read before the handler runs) is bounded the same way.
    ['a write', () => t.http().post('/api/capsules').send({ slug: 'slow', title: 'Slow', kind: 'k', mode: 'm' })],
  ])('%s still unanswered after REQUEST_TIMEOUT_MS is a 503 REQUEST_TIMEOUT problem', async (_label, call) => {
    const blocker = new Client({ connectionString: t.db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE capsules IN ACCESS EXCLUSIVE MODE');
      const res = await call().set('X-Request-Id', 'slow-1').timeout(10_000).expect(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.body).toMatchObject({ status: 503, code: 'REQUEST_TIMEOUT', request_id: 'slow-1' });
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    await t.http().get('/api/capsules').expect(200);
  });
});
