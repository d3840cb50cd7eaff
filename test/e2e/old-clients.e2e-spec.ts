import {
  type OldClient,
  powerShell7,
  powerShell7Json,
  pythonJsonDumps,
  pythonRequests,
  windowsPowerShell,
  windowsPowerShellJson,
} from '../support/old-clients';
import { DEMO_CAPSULE, demoRun, SMOKE_CAPSULE, SMOKE_RUN } from '../support/old-client-bodies';
import { createTestApp, listenOnLoopback, type TestApp } from '../support/test-app';

/**
 * The old service's clients, unmodified, replayed byte for byte on a real
 * socket (test/support/old-clients.ts): the Python smoke script
 * (codex_capsules/test_api.py: anything but 200 is a failure, and a failed
 * run report prints nothing) and the PowerShell demo (registers
 * signals-daily, records a run with a random `sha256:` + 7 digits checksum,
 * formats success_rate as a percentage itself), in Windows PowerShell 5.1 and
 * PowerShell 7. Each step asserts what the client reads from the answer.
 * Then the Next.js pages (they call from the browser) and the cron scripts.
 */
describe('old clients, unchanged', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp();
    port = await listenOnLoopback(t);
  });

  afterAll(async () => {
    await t.close();
  });

  const storedChecksums = async (slug: string): Promise<string[]> =>
    (
      await t.dataSource.query<{ checksum: string }[]>(
        `SELECT r.checksum FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id WHERE c.slug = $1 ORDER BY r.id`,
        [slug],
      )
    ).map((r) => r.checksum);

  /** codex_capsules/test_api.py, step by step (BASE_URL = http://localhost:8080/api). */
  async function smokeScript(client: OldClient) {
    const capsule = await client.post('/api/capsules', pythonJsonDumps(SMOKE_CAPSULE));
    expect([capsule.status, capsule.json<{ slug: string }>().slug]).toEqual([200, 'test-ceremony']);

    const capsules = await client.get('/api/capsules');
    expect(capsules.status).toBe(200);
    for (const c of capsules.json<{ slug: string; title: string }[]>()) {
      expect([typeof c.slug, typeof c.title]).toEqual(['string', 'string']);
    }

    const run = await client.post('/api/capsules/run', pythonJsonDumps(SMOKE_RUN));
    expect(run.status).toBe(200);
    expect(Number.isInteger(run.json<{ id: number }>().id)).toBe(true);

    const runs = await client.get('/api/capsules/runs');
    expect(runs.status).toBe(200);
    const listed = runs.json<{ id: number; capsule_slug: string; status: string; actor: string }[]>();
    expect(listed.find((r) => r.id === run.json<{ id: number }>().id)).toMatchObject({
      capsule_slug: 'test-ceremony',
      status: 'success',
      actor: 'test-user',
    });

    const performance = await client.get('/api/capsules/performance');
    expect([performance.status, Array.isArray(performance.json())]).toEqual([200, true]);
    const scheduled = await client.get('/api/capsules/scheduled');
    expect([scheduled.status, Array.isArray(scheduled.json())]).toEqual([200, true]);
  }

  it('the Python smoke script records its run, twice in a row (a re-registration is not a 409)', async () => {
    const client = pythonRequests(port);
    await smokeScript(client);
    await smokeScript(client);
    expect(await storedChecksums('test-ceremony')).toEqual(['sha256:abc123...', 'sha256:abc123...']);
  });

  /** register-signals-daily demo, step by step ($BaseUrl = http://localhost:8080). */
  async function powerShellDemo(client: OldClient, toJson: (o: Record<string, string>) => string, checksum: string) {
    const health = await client.get('/');
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({ service: 'Codex Capsules', version: expect.any(String) });

    const capsule = await client.post('/api/capsules', toJson(DEMO_CAPSULE));
    expect(capsule.status).toBe(200);
    expect(capsule.json()).toMatchObject({
      slug: 'signals-daily',
      title: 'Daily Signals Engine',
      schedule: '0 6 * * *',
    });

    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    const artifact = `https://storage.googleapis.com/codex-artifacts/signals-daily-${day}.tar.gz`;
    const run = await client.post('/api/capsules/run', toJson(demoRun(artifact, checksum)));
    expect(run.status).toBe(200);
    const recorded = run.json<{ id: number; status: string; artifact_uri: string }>();
    expect(Number.isInteger(recorded.id)).toBe(true);
    expect([recorded.status, recorded.artifact_uri]).toEqual(['success', artifact]);

    const capsules = await client.get('/api/capsules');
    expect(capsules.status).toBe(200);
    for (const c of capsules.json<Record<string, unknown>[]>()) {
      expect([c.slug, c.title, c.kind, c.mode].map((v) => typeof v)).toEqual(['string', 'string', 'string', 'string']);
    }

    const performance = await client.get('/api/capsules/performance');
    expect(performance.status).toBe(200);
    const entry = performance
      .json<{ capsule_slug: string; total_runs: unknown; success_rate: unknown }[]>()
      .find((p) => p.capsule_slug === 'signals-daily');
    expect(typeof entry?.total_runs).toBe('number');
    expect(entry?.success_rate).toBe(1); // "{0:P0}" -f 1 prints 100 %
  }

  const sevenDigits = () => `sha256:${1_000_000 + Math.floor(Math.random() * 8_999_999)}`;

  it.each([
    ['Windows PowerShell 5.1', windowsPowerShell, windowsPowerShellJson],
    ['PowerShell 7', powerShell7, powerShell7Json],
  ])('the PowerShell demo in %s records its run with its random checksum', async (_, client, toJson) => {
    const before = await storedChecksums('signals-daily');
    const checksum = sevenDigits();
    await powerShellDemo(client(port), toJson, checksum);
    expect(await storedChecksums('signals-daily')).toEqual([...before, checksum]);
  });

  it('Windows PowerShell 5.1 gets the 100 Continue it waits for before sending a body', async () => {
    const answer = await windowsPowerShell(port).post(
      '/api/capsules/run',
      windowsPowerShellJson({ capsule_slug: 'signals-daily', actor: 'system-scheduler', checksum: sevenDigits() }),
    );
    expect([answer.interim, answer.status]).toEqual([[100], 200]);
  });

  it('a checksum from Get-FileHash (upper-case hex) is stored as sent and found in any case', async () => {
    const hash = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855';
    const checksum = `sha256:${hash}`;
    await powerShellDemo(powerShell7(port), powerShell7Json, checksum);
    expect((await storedChecksums('signals-daily')).at(-1)).toBe(checksum);
    const found = await t
      .http()
      .get('/api/artifacts')
      .query({ checksum: `sha256:${hash.toLowerCase()}` })
      .expect(200);
    expect(found.body.map((r: { checksum: string }) => r.checksum)).toEqual([checksum]);
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
    const entry = scheduled.body.find((s: { slug: string }) => s.slug === 'signals-daily');
    expect(entry.next_run).toMatch(/^\d{4}-\d{2}-\d{2}T06:00:00\.000Z$/);
    expect(Date.parse(entry.next_run)).toBeGreaterThan(Date.now());
    expect(Date.parse(entry.next_run) - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
  });
});
