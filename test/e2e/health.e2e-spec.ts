import { FixedClock, Lifecycle } from '@app/common';
import { createTestApp, type TestApp } from '../support/test-app';

describe('service info and probes', () => {
  const clock = new FixedClock(new Date('2026-11-24T06:08:31.860Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock });
  });

  afterAll(async () => {
    await t.close();
  });

  it('GET / names the service and its docs', async () => {
    const res = await t.http().get('/').expect(200);
    expect(res.body).toEqual({
      service: 'Codex Capsules',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      description: expect.any(String),
      api_docs: '/docs',
      capsules_api: '/api/docs',
    });
  });

  it.each(['/health', '/api/health'])('GET %s answers healthy with an ISO timestamp', async (path) => {
    const res = await t.http().get(path).expect(200);
    expect(res.body).toEqual({ status: 'healthy', timestamp: '2026-11-24T06:08:31.860Z' });
  });

  it('GET /health/live answers in Terminus format', async () => {
    const res = await t.http().get('/health/live').expect(200);
    expect(res.body).toMatchObject({ status: 'ok' });
  });

  it('GET /health/ready checks the database and the migrations', async () => {
    const res = await t.http().get('/health/ready').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, migrations: { status: 'up', applied: expect.any(Number) } },
    });
  });

  it('GET /health/ready is 503 with details when a migration is missing', async () => {
    const removed: { id: number; timestamp: string; name: string }[] = await t.dataSource.query(
      'SELECT id, timestamp, name FROM schema_migrations ORDER BY id DESC LIMIT 1',
    );
    await t.dataSource.query('DELETE FROM schema_migrations WHERE id = $1', [removed[0].id]);
    try {
      const res = await t.http().get('/health/ready').expect(503);
      expect(res.body).toMatchObject({ status: 'error', error: { migrations: { status: 'down' } } });
      expect(res.body.error.migrations.message).toContain(removed[0].name);
    } finally {
      await t.dataSource.query('INSERT INTO schema_migrations (timestamp, name) VALUES ($1, $2)', [
        removed[0].timestamp,
        removed[0].name,
      ]);
    }
    await t.http().get('/health/ready').expect(200);
  });

  it.each([
    ['/docs', /text\/html/],
    ['/api/docs', /text\/html/],
    ['/openapi.json', /application\/json/],
    ['/api/openapi.json', /application\/json/],
  ])('serves %s', async (path, type) => {
    const res = await t.http().get(path).expect(200);
    expect(res.headers['content-type']).toMatch(type);
  });

  it('an unknown route is a 404 problem', async () => {
    const res = await t.http().get('/no/such/route').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: expect.any(String),
    });
  });

  it('a wrong method is a 405 with Allow', async () => {
    const res = await t.http().delete('/health').expect(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.body).toMatchObject({ status: 405, title: 'Method Not Allowed' });
  });

  it('echoes a valid X-Request-Id and makes one otherwise', async () => {
    const given = await t.http().get('/health').set('X-Request-Id', 'trace-123').expect(200);
    expect(given.headers['x-request-id']).toBe('trace-123');
    const made = await t.http().get('/health').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('shutting down (SIGTERM: draining, then closing)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('draining: readiness is 503 at once while the API still serves', async () => {
    t.app.get(Lifecycle).beginDrain();
    const ready = await t.http().get('/health/ready').expect(503);
    expect(ready.body).toMatchObject({ status: 'error' });
    await t.http().get('/health/live').expect(200);
    await t.http().get('/api/capsules').expect(200);
  });

  it('closing: a request on a kept-alive connection is a 503 problem that starts nothing', async () => {
    t.app.get(Lifecycle).beginClose();
    const body = { slug: 'too-late', title: 'Too late', kind: 'dispatch', mode: 'automated' };
    const res = await t.http().post('/api/capsules').set('X-Request-Id', 'late-1').send(body).expect(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers.connection).toBe('close');
    expect(res.headers['x-request-id']).toBe('late-1');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toMatchObject({
      status: 503,
      code: 'SHUTTING_DOWN',
      request_id: 'late-1',
      detail: expect.any(String),
    });
    const [{ n }] = await t.dataSource.query<{ n: number }[]>('SELECT count(*)::int AS n FROM capsules');
    expect(n).toBe(0);
  });
});
