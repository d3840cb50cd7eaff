import { FixedClock } from '@app/common';
import { createTestApp, type TestApp } from '../support/test-app';

const base = { title: 'Ledger', kind: 'treasury', mode: 'custodian', schedule: '0 6 * * *' };

describe('capsule by slug: GET, PATCH, DELETE, versions', () => {
  const clock = new FixedClock(new Date('2026-11-24T12:00:00.000Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock });
  });

  afterAll(async () => {
    await t.close();
  });

  async function register(slug: string, extra: Record<string, unknown> = {}) {
    return (
      await t
        .http()
        .post('/api/capsules')
        .send({ slug, ...base, ...extra })
        .expect(200)
    ).body;
  }

  async function rows(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return t.dataSource.query(sql, params);
  }

  it('GET /api/capsules/:slug answers the capsule with its state and next run', async () => {
    await register('ledger');
    const res = await t.http().get('/api/capsules/ledger').expect(200);
    expect(res.body).toMatchObject({
      slug: 'ledger',
      title: 'Ledger',
      revision: 1,
      state: 'new',
      next_run: '2026-11-25T06:00:00.000Z',
      last_run: null,
    });
  });

  it('shows the state from the runs: up after a run, down after a failure, paused when archived', async () => {
    await register('stateful');
    await t
      .http()
      .post('/api/capsules/run')
      .send({
        capsule_slug: 'stateful',
        actor: 'cron',
        started_at: '2026-11-24T06:00:00Z',
        completed_at: '2026-11-24T06:00:05Z',
      })
      .expect(200);
    expect((await t.http().get('/api/capsules/stateful').expect(200)).body).toMatchObject({
      state: 'up',
      last_run: '2026-11-24T06:00:00.000Z',
    });
    await t
      .http()
      .post('/api/capsules/run')
      .send({ capsule_slug: 'stateful', actor: 'cron', status: 'error', started_at: '2026-11-24T07:00:00Z' })
      .expect(200);
    expect((await t.http().get('/api/capsules/stateful').expect(200)).body.state).toBe('down');
    await t.http().patch('/api/capsules/stateful').send({ status: 'archived' }).expect(200);
    expect((await t.http().get('/api/capsules/stateful').expect(200)).body).toMatchObject({
      state: 'paused',
      next_run: null,
    });
  });

  it('an unknown slug is a 404 problem on every :slug route', async () => {
    for (const [method, path] of [
      ['get', '/api/capsules/nope'],
      ['patch', '/api/capsules/nope'],
      ['delete', '/api/capsules/nope'],
      ['get', '/api/capsules/nope/versions'],
      ['get', '/api/capsules/nope/runs'],
      ['get', '/api/capsules/nope/artifacts/latest'],
    ] as const) {
      const req = t.http()[method](path);
      const res = await (method === 'patch' ? req.send({ title: 'x' }) : req).expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 404, code: 'CAPSULE_NOT_FOUND', detail: 'Capsule not found' });
    }
  });

  it('PATCH changes only the given fields and keeps the slug', async () => {
    const before = await register('patched', { tags: ['a'], timezone: 'Europe/Paris' });
    const res = await t
      .http()
      .patch('/api/capsules/patched')
      .send({ title: 'Patched', schedule: null, max_runtime_seconds: 600 })
      .expect(200);
    expect(res.body).toMatchObject({
      slug: 'patched',
      title: 'Patched',
      kind: 'treasury',
      schedule: null,
      max_runtime_seconds: 600,
      tags: ['a'],
      timezone: 'Europe/Paris',
      revision: 2,
      created_at: before.created_at,
    });
  });

  describe('PATCH rejects bad input with 422 and changes nothing', () => {
    it.each([
      ['a null title', { title: null }, ['title']],
      ['a null kind', { kind: null }, ['kind']],
      ['a null status', { status: null }, ['status']],
      ['a null timezone', { timezone: null }, ['timezone']],
      ['a null tags', { tags: null }, ['tags']],
      ['an unknown time zone', { timezone: 'Moon/Base' }, ['timezone']],
      ['an invalid schedule', { schedule: '* * *' }, ['schedule']],
      ['a slug change', { slug: 'renamed' }, ['slug']],
      ['an unknown field', { colour: 'red' }, ['colour']],
      ['an empty body', {}, ['(body)']],
    ])('%s', async (_label, body, fields) => {
      await register('strict');
      const before = await rows('SELECT * FROM capsules WHERE slug = $1', ['strict']);
      const res = await t.http().patch('/api/capsules/strict').send(body).expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([...fields].sort());
      expect(await rows('SELECT * FROM capsules WHERE slug = $1', ['strict'])).toEqual(before);
    });
  });

  it('keeps every change of the definition as a version, newest first; a no-op re-post stores none', async () => {
    await register('versioned', { version: '1.0.0' });
    await register('versioned', { version: '1.0.0' }); // no-op
    await register('versioned', { version: '1.1.0' });
    await t.http().patch('/api/capsules/versioned').send({ grace_seconds: 900 }).expect(200);
    await t.http().patch('/api/capsules/versioned').send({ grace_seconds: 900 }).expect(200); // no-op
    const res = await t.http().get('/api/capsules/versioned/versions').expect(200);
    expect(res.body.map((v: { revision: number }) => v.revision)).toEqual([3, 2, 1]);
    expect(res.body[0]).toMatchObject({ revision: 3, version: '1.1.0', grace_seconds: 900, changed_by: null });
    expect(res.body[1]).toMatchObject({ revision: 2, version: '1.1.0', grace_seconds: 300 });
    expect(res.body[2]).toMatchObject({
      revision: 1,
      title: 'Ledger',
      kind: 'treasury',
      mode: 'custodian',
      version: '1.0.0',
      status: 'active',
      entrypoint: '',
      schedule: '0 6 * * *',
      timezone: 'UTC',
      max_runtime_seconds: null,
      tags: [],
      changed_at: expect.stringMatching(/Z$/),
    });
    expect((await t.http().get('/api/capsules/versioned').expect(200)).body.revision).toBe(3);
  });

  it('pages versions with limit and a Link header', async () => {
    const first = await t.http().get('/api/capsules/versioned/versions?limit=2').expect(200);
    expect(first.body.map((v: { revision: number }) => v.revision)).toEqual([3, 2]);
    const next = /^<([^>]+)>; rel="next"$/.exec(first.headers.link)![1];
    const second = await t.http().get(next).expect(200);
    expect(second.body.map((v: { revision: number }) => v.revision)).toEqual([1]);
    expect(second.headers.link).toBeUndefined();
  });

  it('a run records the revision current when it was reported', async () => {
    const run = await t.http().post('/api/capsules/run').send({ capsule_slug: 'versioned', actor: 'a' }).expect(200);
    expect(run.body.capsule_revision).toBe(3);
  });

  it('DELETE removes the capsule with its runs and versions: 204, then 404', async () => {
    const capsule = await register('doomed');
    await t.http().post('/api/capsules/run').send({ capsule_slug: 'doomed', actor: 'a' }).expect(200);
    await t.http().delete('/api/capsules/doomed').expect(204);
    await t.http().get('/api/capsules/doomed').expect(404);
    expect(await rows('SELECT 1 FROM capsule_runs WHERE capsule_id = $1', [capsule.id])).toEqual([]);
    expect(await rows('SELECT 1 FROM capsule_versions WHERE capsule_id = $1', [capsule.id])).toEqual([]);
    await t.http().delete('/api/capsules/doomed').expect(404);
  });
});
