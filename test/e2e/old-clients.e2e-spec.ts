import { createTestApp, type TestApp } from '../support/test-app';

/**
 * What the old service's clients do, step by step, reading the fields they
 * read: the Python smoke script (anything but 200 is a failure), the
 * PowerShell demo (formats success_rate as a percentage itself), the Next.js
 * pages (slug, title, status, started_at; they call from the browser) and the
 * cron scripts that record runs.
 */
describe('old clients, unchanged', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('the smoke script: every step answers 200', async () => {
    const info = await t.http().get('/').expect(200);
    expect(info.body.service).toBe('Codex Capsules');
    expect(typeof info.body.version).toBe('string');
    await t.http().get('/health').expect(200);

    const capsule = {
      slug: 'festival-capsule',
      title: 'Festival Capsule',
      kind: 'ceremony',
      mode: 'public',
      version: '1.0.0',
      status: 'active',
      entrypoint: 'capsules/festival.py',
      schedule: '0 12 * * 0',
    };
    await t.http().post('/api/capsules').send(capsule).expect(200);
    await t.http().post('/api/capsules').send(capsule).expect(200); // a second registration is not a 409
    const list = await t.http().get('/api/capsules').expect(200);
    expect(list.body.find((c: { slug: string }) => c.slug === 'festival-capsule')).toBeDefined();

    const run = await t
      .http()
      .post('/api/capsules/run')
      .send({ capsule_slug: 'festival-capsule', actor: 'smoke-test', status: 'success' })
      .expect(200);
    expect(Number.isInteger(run.body.id)).toBe(true);

    const runs = await t.http().get('/api/capsules/runs?capsule_slug=festival-capsule').expect(200);
    expect(runs.body[0].id).toBe(run.body.id);
    await t.http().get('/api/capsules/performance').expect(200);
    await t.http().get('/api/capsules/scheduled').expect(200);
  });

  it('the PowerShell demo: success_rate is a 0-1 number it can format', async () => {
    await t
      .http()
      .post('/api/capsules/run')
      .send({ capsule_slug: 'festival-capsule', actor: 'demo', status: 'error' })
      .expect(200);
    const perf = await t.http().get('/api/capsules/performance').expect(200);
    const entry = perf.body.find((p: { capsule_slug: string }) => p.capsule_slug === 'festival-capsule');
    expect(entry.success_rate).toBe(0.5);
    expect(typeof entry.total_runs).toBe('number');
    expect(typeof entry.avg_runtime_seconds).toBe('number');
  });

  it('the Next.js pages: fields they read, and CORS for their origins', async () => {
    const capsules = await t.http().get('/api/capsules').set('Origin', 'http://localhost:3000').expect(200);
    expect(capsules.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    for (const c of capsules.body) {
      expect(typeof c.slug).toBe('string');
      expect(typeof c.title).toBe('string');
      expect(typeof c.status).toBe('string');
    }
    const runs = await t.http().get('/api/capsules/runs').set('Origin', 'http://localhost:3001').expect(200);
    expect(runs.headers['access-control-allow-origin']).toBe('http://localhost:3001');
    expect(Number.isNaN(Date.parse(runs.body[0].started_at))).toBe(false);

    const preflight = await t
      .http()
      .options('/api/capsules/run')
      .set('Origin', 'http://localhost:3000')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
  });

  it('a browser on another origin gets no CORS grant', async () => {
    const res = await t.http().get('/api/capsules').set('Origin', 'https://evil.example').expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a cron script: a scheduled capsule gets a real next_run', async () => {
    const scheduled = await t.http().get('/api/capsules/scheduled').expect(200);
    const entry = scheduled.body.find((s: { slug: string }) => s.slug === 'festival-capsule');
    expect(entry.next_run).toMatch(/^\d{4}-\d{2}-\d{2}T12:00:00\.000Z$/);
    expect(new Date(entry.next_run).getUTCDay()).toBe(0);
    expect(Date.parse(entry.next_run)).toBeGreaterThan(Date.now());
  });
});
