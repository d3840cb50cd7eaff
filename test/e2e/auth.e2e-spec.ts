import { ApiKeysService, databaseKeyId } from '@app/auth';
import { FixedClock } from '@app/common';
import { createTestApp, type TestApp } from '../support/test-app';

const READ_KEY = 'read-key-0123456789abcdefghijklmnop';
const WRITE_KEY = 'write-key-0123456789abcdefghijklmnop';
/** API_KEYS as the environment gives it. */
const ENV_KEYS = `dashboard:read:${READ_KEY},ci-runner:write:${WRITE_KEY}`;
const CAPSULE = { slug: 'dawn-dispatch', title: 'Dawn dispatch', kind: 'dispatch', mode: 'automated' };

async function count(t: TestApp, table: string): Promise<number> {
  const [row] = await t.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`);
  return row.n;
}

function expectProblem(res: { status: number; headers: Record<string, string>; body: Record<string, unknown> }) {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: res.status, type: expect.any(String), detail: expect.any(String) });
}

describe('API keys: scopes, headers, changed_by', () => {
  let t: TestApp;
  let adminKey: string;

  beforeAll(async () => {
    t = await createTestApp({ config: { apiKeys: ENV_KEYS } });
    adminKey = (await t.app.get(ApiKeysService).create('ops-admin', 'admin')).key;
  });
  afterAll(() => t.close());

  it('a write without a key is 401 with a Bearer challenge, and stores nothing', async () => {
    const res = await t.http().post('/api/capsules').send(CAPSULE).expect(401);
    expectProblem(res);
    expect(res.body.code).toBe('API_KEY_REQUIRED');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="capsules-api"');
    expect(await count(t, 'capsules')).toBe(0);
  });

  it('a read without a key is 401 too (keys exist, so nothing is open)', async () => {
    await t.http().get('/api/capsules').expect(401);
    await t.http().get('/api/capsules/runs').expect(401);
  });

  it('a read key reads (Bearer or X-API-Key) but a write with it is 403 and stores nothing', async () => {
    await t.http().get('/api/capsules').set('Authorization', `Bearer ${READ_KEY}`).expect(200);
    await t.http().get('/api/capsules').set('X-API-Key', READ_KEY).expect(200);
    const res = await t.http().post('/api/capsules').set('X-API-Key', READ_KEY).send(CAPSULE).expect(403);
    expectProblem(res);
    expect(res.body).toMatchObject({ code: 'INSUFFICIENT_SCOPE', required_scope: 'write' });
    expect(res.body.detail).toContain('"dashboard" has "read"');
    expect(await count(t, 'capsules')).toBe(0);
  });

  it("a write key writes, and its name is the version's changed_by", async () => {
    await t.http().post('/api/capsules').set('Authorization', `Bearer ${WRITE_KEY}`).send(CAPSULE).expect(200);
    await t
      .http()
      .patch('/api/capsules/dawn-dispatch')
      .set('Authorization', `Bearer ${adminKey}`)
      .send({ version: '2.0.0' })
      .expect(200);
    const versions = await t.http().get('/api/capsules/dawn-dispatch/versions').set('X-API-Key', READ_KEY).expect(200);
    expect(versions.body.map((v: { changed_by: string }) => v.changed_by)).toEqual(['ops-admin', 'ci-runner']);
  });

  it('deleting a capsule needs the admin scope', async () => {
    const res = await t.http().delete('/api/capsules/dawn-dispatch').set('X-API-Key', WRITE_KEY).expect(403);
    expect(res.body.required_scope).toBe('admin');
    expect(await count(t, 'capsules')).toBe(1);
    await t.http().delete('/api/capsules/dawn-dispatch').set('X-API-Key', adminKey).expect(204);
    expect(await count(t, 'capsules')).toBe(0);
  });

  it('an unknown key is 401 invalid_token, even on a route a good key could read', async () => {
    const res = await t.http().get('/api/capsules').set('Authorization', `Bearer ${READ_KEY}x`).expect(401);
    expect(res.body.code).toBe('API_KEY_INVALID');
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    const lookalike = adminKey.slice(0, -4) + 'AAAA';
    await t.http().get('/api/capsules').set('X-API-Key', lookalike).expect(401);
  });

  it('a revoked key is refused', async () => {
    const keys = t.app.get(ApiKeysService);
    const { key } = await keys.create('short-lived', 'write');
    expect(await keys.revoke('short-lived')).toBe('short-lived');
    const res = await t.http().post('/api/capsules').set('X-API-Key', key).send(CAPSULE).expect(401);
    expect(res.body.code).toBe('API_KEY_INVALID');
    expect(await count(t, 'capsules')).toBe(0);
  });

  it('a malformed Authorization header is a 400', async () => {
    const res = await t.http().get('/api/capsules').set('Authorization', `Basic ${READ_KEY}`).expect(400);
    expect(res.body.code).toBe('BAD_AUTHORIZATION');
  });

  it("X-API-Key wins over Authorization (a platform's token there, as behind Cloud Run's IAM check)", async () => {
    const platformToken = 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjYWxsZXIifQ';
    await t.http().get('/api/capsules').set('Authorization', platformToken).set('X-API-Key', READ_KEY).expect(200);
    await t.http().get('/api/capsules').set('Authorization', 'Basic abc').set('X-API-Key', READ_KEY).expect(200);
    const res = await t
      .http()
      .get('/api/capsules')
      .set('Authorization', `Bearer ${READ_KEY}`)
      .set('X-API-Key', 'x'.repeat(30));
    expect(res.status).toBe(401);
  });

  it('stores keys only as hashes', async () => {
    const rows = await t.dataSource.query<{ key_hash: Buffer }[]>('SELECT key_hash FROM api_keys');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.key_hash).toHaveLength(32);
    const text = JSON.stringify(await t.dataSource.query('SELECT * FROM api_keys'));
    // cap_<12-char id>_<secret>: the secret is base64url, so it may hold "_" itself.
    const secret = adminKey.slice('cap_'.length + 12 + 1);
    expect(secret).toHaveLength(43);
    expect(adminKey).toBe(`cap_${databaseKeyId(adminKey)}_${secret}`);
    expect(text).not.toContain(secret);
  });

  it('probes and docs stay public', async () => {
    for (const path of ['/', '/health', '/api/health', '/health/live', '/health/ready', '/openapi.json', '/docs']) {
      await t.http().get(path).expect(200);
    }
  });

  it('/metrics needs a read key unless METRICS_PUBLIC', async () => {
    await t.http().get('/metrics').expect(401);
    await t.http().get('/metrics').set('X-API-Key', READ_KEY).expect(200);
  });
});

describe('API keys: safe defaults', () => {
  it('local setup without keys is open; the first database key closes it', async () => {
    const clock = new FixedClock(new Date('2026-11-24T08:00:00Z'));
    const t = await createTestApp({ clock });
    try {
      await t.http().post('/api/capsules').send(CAPSULE).expect(200);
      const { key } = await t.app.get(ApiKeysService).create('first', 'write');
      clock.set('2026-11-24T08:00:06Z'); // past the key cache's 5 s
      await t.http().get('/api/capsules').expect(401);
      await t.http().get('/api/capsules').set('X-API-Key', key).expect(200);
    } finally {
      await t.close();
    }
  });

  it('a non-loopback host without keys lets no anonymous caller in', async () => {
    const t = await createTestApp({ config: { host: '0.0.0.0' } });
    try {
      await t.http().get('/api/capsules').expect(401);
      await t.http().get('/health/ready').expect(200);
    } finally {
      await t.close();
    }
  });

  it('production without keys lets no anonymous caller in, even on loopback', async () => {
    const t = await createTestApp({ config: { nodeEnv: 'production' } });
    try {
      await t.http().post('/api/capsules').send(CAPSULE).expect(401);
    } finally {
      await t.close();
    }
  });

  it('AUTH_DISABLED opens every route, and a key given is still recorded', async () => {
    const t = await createTestApp({ config: { host: '0.0.0.0', authDisabled: true, apiKeys: ENV_KEYS } });
    try {
      await t.http().post('/api/capsules').send(CAPSULE).expect(200);
      await t
        .http()
        .post('/api/capsules')
        .set('X-API-Key', WRITE_KEY)
        .send({ ...CAPSULE, version: '1.1.0' })
        .expect(200);
      const versions = await t.http().get('/api/capsules/dawn-dispatch/versions').expect(200);
      expect(versions.body.map((v: { changed_by: string | null }) => v.changed_by)).toEqual(['ci-runner', null]);
      await t.http().get('/metrics').expect(200);
      await t.http().delete('/api/capsules/dawn-dispatch').expect(204);
    } finally {
      await t.close();
    }
  });

  it('METRICS_PUBLIC opens /metrics alone', async () => {
    const t = await createTestApp({ config: { apiKeys: ENV_KEYS, metricsPublic: true } });
    try {
      await t.http().get('/metrics').expect(200);
      await t.http().get('/api/capsules').expect(401);
    } finally {
      await t.close();
    }
  });
});
