import { Writable } from 'node:stream';
import { Client } from 'pg';
import { createLogger } from '@app/common';
import { registerCapsule } from '../support/fixtures';
import { promlint } from '../support/promlint';
import { createTestApp, type TestApp } from '../support/test-app';

const KEY = 'observer-0123456789abcdefghijklmnopq';
const WRITE_KEY = 'writer-0123456789abcdefghijklmnopqrs';

/** Collects the JSON lines a logger writes. */
class LineSink extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) this.lines.push(JSON.parse(line));
    done();
  }
}

describe('request logs', () => {
  const sink = new LineSink();
  let t: TestApp;

  beforeAll(async () => {
    const logger = createLogger({ logLevel: 'info', logFormat: 'json' }, { service: 'test' }, sink);
    t = await createTestApp({
      logger,
      config: {
        apiKeys: `observer:admin:${KEY},ci-writer:write:${WRITE_KEY}`,
        dbStatementTimeoutMs: 300,
      },
    });
  });
  afterAll(() => t.close());

  const requestLines = () => sink.lines.filter((line) => line.message === 'request completed');

  it('writes one JSON line per request: method, route template, status, latency, request id, key name, severity', async () => {
    await t.http().get('/api/capsules/nope').set('X-API-Key', KEY).set('X-Request-Id', 'trace-abc.1').expect(404);
    const lines = requestLines().filter((line) => line.request_id === 'trace-abc.1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      severity: 'INFO',
      level: 'info',
      method: 'GET',
      route: '/api/capsules/:slug',
      url: '/api/capsules/nope',
      status: 404,
      api_key: 'observer',
      service: 'test',
    });
    expect(typeof lines[0].latency_ms).toBe('number');
    expect(Date.parse(lines[0].time as string)).not.toBeNaN();
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const echoed = await t.http().get('/health').set('X-Request-Id', 'abc-123').expect(200);
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const replaced = await t.http().get('/health').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('labels unmatched paths as such, and never logs the key itself', async () => {
    await t.http().get('/no/such/route').set('Authorization', `Bearer ${KEY}`).expect(404);
    const line = requestLines().find((l) => l.url === '/no/such/route');
    expect(line).toMatchObject({ route: 'unmatched', status: 404 });
    expect(JSON.stringify(sink.lines)).not.toContain(KEY);
  });

  it("a write's line names the write key, never the key itself (Bearer or X-API-Key)", async () => {
    const capsule = { slug: 'logged-write', title: 'Logged write', kind: 'dispatch', mode: 'automated' };
    await t
      .http()
      .post('/api/capsules')
      .set('Authorization', `Bearer ${WRITE_KEY}`)
      .set('X-Request-Id', 'write-bearer')
      .send(capsule)
      .expect(200);
    await t
      .http()
      .post('/api/capsules')
      .set('X-API-Key', WRITE_KEY)
      .set('X-Request-Id', 'write-header')
      .send({ ...capsule, version: '1.1.0' })
      .expect(200);
    for (const id of ['write-bearer', 'write-header']) {
      const lines = requestLines().filter((line) => line.request_id === id);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ method: 'POST', route: '/api/capsules', status: 200, api_key: 'ci-writer' });
    }
    expect(JSON.stringify(sink.lines)).not.toContain(WRITE_KEY);
  });

  it('logs server errors at ERROR severity with the request id (a 503 from a cancelled statement)', async () => {
    const blocker = new Client({ connectionString: t.db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE capsules IN ACCESS EXCLUSIVE MODE');
      await t
        .http()
        .get('/api/capsules')
        .set('X-API-Key', KEY)
        .set('X-Request-Id', 'down-1')
        .timeout(10_000)
        .expect(503);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    const line = requestLines().find((l) => l.request_id === 'down-1');
    expect(line).toMatchObject({ severity: 'ERROR', status: 503, route: '/api/capsules' });
  });
});

describe('GET /metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ config: { metricsPublic: true } });
  });
  afterAll(() => t.close());

  it('exposes requests and latency by route template, the pool, runs by status and capsules by schedule state', async () => {
    await registerCapsule(t, { slug: 'dawn-dispatch', schedule: '30 5 * * *' });
    await registerCapsule(t, { slug: 'manual-one' });
    await t
      .http()
      .post('/api/capsules/run')
      .send({ capsule_slug: 'dawn-dispatch', actor: 'cron', status: 'error' })
      .expect(200);
    await t.http().get('/api/capsules/dawn-dispatch').expect(200);
    const res = await t.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    /** The value of one series, named with its exact label set, or undefined when it is not exposed. */
    const sample = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(text).toContain('capsules_http_requests_total{method="GET",route="/api/capsules/:slug",status="200"} 1');
    expect(text).toContain('capsules_http_requests_total{method="POST",route="/api/capsules",status="200"} 2');
    // One latency observation per request, whatever it took: the count and the +Inf bucket, not a fast bucket.
    const run = 'method="POST",route="/api/capsules/run",status="200"';
    expect(sample(`capsules_http_request_duration_seconds_count{${run}}`)).toBe(1);
    expect(sample(`capsules_http_request_duration_seconds_bucket{le="+Inf",${run}}`)).toBe(1);
    expect(sample(`capsules_http_request_duration_seconds_sum{${run}}`)).toBeGreaterThan(0);
    const register = 'method="POST",route="/api/capsules",status="200"';
    expect(sample(`capsules_http_request_duration_seconds_count{${register}}`)).toBe(2);
    expect(sample(`capsules_http_request_duration_seconds_bucket{le="+Inf",${register}}`)).toBe(2);
    expect(text).toMatch(/capsules_db_pool_connections\{state="in_use"\} \d+/);
    expect(text).toMatch(/capsules_db_pool_connections\{state="idle"\} \d+/);
    expect(text).toMatch(/capsules_db_pool_connections\{state="waiting"\} 0/);
    expect(text).toContain('capsules_runs{status="error"} 1');
    expect(text).toContain('capsules_runs{status="success"} 0');
    expect(text).toMatch(/capsules_scheduled\{state="(new|up|late|down)"\} 1/);
    expect(text).toContain('capsules_process_resident_memory_bytes');
    expect(text).not.toContain('/api/capsules/dawn-dispatch"');
  });

  it("passes promtool's metric lint (base units, _total only on counters, HELP on every family)", async () => {
    const text = (await t.http().get('/metrics').expect(200)).text;
    expect(promlint(text)).toEqual([]);
    // The totals promtool refused live on as sums of the per-type gauges.
    expect(text).toMatch(/^capsules_nodejs_active_handles\{type="\w+"\} \d+$/m);
  });

  it('counts a scheduled capsule that is archived as paused', async () => {
    await registerCapsule(t, { slug: 'old-festival', schedule: '0 12 1 1 *', status: 'archived' });
    const text = (await t.http().get('/metrics').expect(200)).text;
    expect(text).toContain('capsules_scheduled{state="paused"} 1');
    const active = [...text.matchAll(/^capsules_scheduled\{state="(?:new|up|late|down)"\} (\d+)$/gm)];
    expect(active.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(1);
  });
});
