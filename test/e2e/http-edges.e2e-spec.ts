import { exchange } from '../support/old-clients';
import { createTestApp, listenOnLoopback, type TestApp } from '../support/test-app';

/**
 * Requests at the edges of HTTP, sent as raw bytes on a socket (a test client
 * would add what they leave out): each gets a deliberate answer with the
 * request id and helmet's headers, never a framework's bare default.
 */
describe('HTTP edges', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp();
    port = await listenOnLoopback(t);
  });
  afterAll(() => t.close());

  const send = (lines: string[]) => exchange(port, [...lines, 'Connection: close', '', ''].join('\r\n'));

  function expectUsualHeaders(headers: Record<string, string>): void {
    expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['x-content-type-options']).toBe('nosniff');
  }

  it('a bare OPTIONS (no preflight headers) is a 204 naming the allowed methods', async () => {
    const res = await send(['OPTIONS /api/capsules HTTP/1.1', 'Host: localhost']);
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe('GET, HEAD, POST, OPTIONS');
    expectUsualHeaders(res.headers);
  });

  it('a CORS preflight carries the usual headers too', async () => {
    const res = await send([
      'OPTIONS /api/capsules/run HTTP/1.1',
      'Host: localhost',
      'Origin: http://localhost:3000',
      'Access-Control-Request-Method: POST',
    ]);
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expectUsualHeaders(res.headers);
  });

  it('a trailing slash names the same resource', async () => {
    await t.http().post('/api/capsules').send({ slug: 'edge', title: 'Edge', kind: 'k', mode: 'm' }).expect(200);
    const plain = await t.http().get('/api/capsules').expect(200);
    const slashed = await t.http().get('/api/capsules/').expect(200);
    expect(slashed.body).toEqual(plain.body);
    await t.http().get('/api/capsules/edge/').expect(200);
  });

  it('an HTTP/1.1 request without Host is a 400 problem MISSING_HOST', async () => {
    const res = await send(['GET /api/capsules HTTP/1.1']);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, code: 'MISSING_HOST' });
    expectUsualHeaders(res.headers);
  });

  it('HTTP/1.0 needs no Host', async () => {
    const res = await send(['GET /health HTTP/1.0']);
    expect(res.status).toBe(200);
  });
});
