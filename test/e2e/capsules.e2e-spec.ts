import { expectClampedTo1000 } from '../support/pages';
import { createTestApp, type TestApp } from '../support/test-app';

const dawn = {
  slug: 'dawn-dispatch',
  title: 'Dawn Dispatch',
  kind: 'dispatch',
  mode: 'automated',
  version: '1.2.0',
  status: 'active',
  entrypoint: 'python -m capsules.dawn_dispatch',
  schedule: '0 6 * * *',
};

describe('POST /api/capsules and GET /api/capsules', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  async function count(): Promise<number> {
    const rows: { n: number }[] = await t.dataSource.query('SELECT count(*)::int AS n FROM capsules');
    return rows[0].n;
  }

  /** Every stored capsule and definition version, whole: a rejected update must change none of it. */
  async function stored(): Promise<unknown[]> {
    return t.dataSource.query(
      `SELECT (SELECT json_agg(c ORDER BY c.id) FROM capsules c) AS capsules,
              (SELECT json_agg(v ORDER BY v.capsule_id, v.revision) FROM capsule_versions v) AS versions`,
    );
  }

  it('registers a capsule: 200 with the stored capsule, typed as a client expects', async () => {
    const res = await t.http().post('/api/capsules').send(dawn).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      ...dawn,
      id: expect.any(Number),
      timezone: 'UTC',
      grace_seconds: 300,
      max_runtime_seconds: null,
      tags: [],
      revision: 1,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
  });

  it('fills the defaults of a minimal registration', async () => {
    const res = await t
      .http()
      .post('/api/capsules')
      .send({ slug: 'minimal', title: 'Minimal', kind: 'engine', mode: 'manual' })
      .expect(200);
    expect(res.body).toMatchObject({ version: '1.0.0', status: 'active', entrypoint: '', schedule: null });
  });

  it('re-posting a slug updates it (upsert): same id, created_at stays, updated_at moves, no 409', async () => {
    const before = (
      await t
        .http()
        .post('/api/capsules')
        .send({ ...dawn, slug: 'upserted' })
        .expect(200)
    ).body;
    const after = (
      await t
        .http()
        .post('/api/capsules')
        .send({ ...dawn, slug: 'upserted', title: 'Renamed', version: '2.0.0' })
        .expect(200)
    ).body;
    expect(after).toMatchObject({ id: before.id, title: 'Renamed', version: '2.0.0', created_at: before.created_at });
    expect(Date.parse(after.updated_at)).toBeGreaterThanOrEqual(Date.parse(before.updated_at));
    expect(after.updated_at).not.toBe(before.updated_at);
  });

  it('an update that leaves optional fields out keeps their stored values', async () => {
    await t
      .http()
      .post('/api/capsules')
      .send({ ...dawn, slug: 'keeps', timezone: 'Europe/Paris', tags: ['a'], grace_seconds: 60 })
      .expect(200);
    const res = await t
      .http()
      .post('/api/capsules')
      .send({ slug: 'keeps', title: 'Keeps', kind: 'dispatch', mode: 'automated' })
      .expect(200);
    expect(res.body).toMatchObject({
      title: 'Keeps',
      timezone: 'Europe/Paris',
      tags: ['a'],
      grace_seconds: 60,
      schedule: '0 6 * * *',
      version: '1.2.0',
    });
  });

  it('lists capsules as a bare array in slug order, with filters', async () => {
    await t
      .http()
      .post('/api/capsules')
      .send({
        slug: 'treasury-reconciliation',
        title: 'Treasury',
        kind: 'treasury',
        mode: 'custodian',
        status: 'archived',
      })
      .expect(200);
    const all = await t.http().get('/api/capsules').expect(200);
    expect(Array.isArray(all.body)).toBe(true);
    const slugs = all.body.map((c: { slug: string }) => c.slug);
    expect(slugs).toEqual([...slugs].sort());
    expect(slugs).toContain('dawn-dispatch');

    const byKind = await t.http().get('/api/capsules?kind=treasury').expect(200);
    expect(byKind.body.map((c: { slug: string }) => c.slug)).toEqual(['treasury-reconciliation']);
    const archived = await t.http().get('/api/capsules?status=archived').expect(200);
    expect(archived.body.map((c: { slug: string }) => c.slug)).toEqual(['treasury-reconciliation']);
    const manual = await t.http().get('/api/capsules?mode=manual').expect(200);
    expect(manual.body.map((c: { slug: string }) => c.slug)).toEqual(['minimal']);
    const empty = await t.http().get('/api/capsules?kind=&mode=&status=').expect(200);
    expect(empty.body).toHaveLength(all.body.length);
    const none = await t.http().get('/api/capsules?kind=nothing-like-this').expect(200);
    expect(none.body).toEqual([]);
  });

  it('pages with limit and a Link header, never repeating a capsule', async () => {
    const all = (await t.http().get('/api/capsules').expect(200)).body.map((c: { slug: string }) => c.slug);
    const seen: string[] = [];
    let url: string | undefined = '/api/capsules?limit=2';
    while (url) {
      const res = await t.http().get(url).expect(200);
      expect(res.body.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.map((c: { slug: string }) => c.slug));
      const link = res.headers.link as string | undefined;
      url = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
    }
    expect(seen).toEqual(all);
  });

  it('offers the kinds and modes in use', async () => {
    const res = await t.http().get('/api/capsules/vocabulary').expect(200);
    expect(res.body.kinds).toEqual(expect.arrayContaining(['dispatch', 'engine', 'treasury']));
    expect(res.body.modes).toEqual(expect.arrayContaining(['automated', 'custodian', 'manual']));
  });

  describe('bad input: 422 listing every bad field, nothing stored', () => {
    it.each([
      ['missing required fields', {}, ['slug', 'title', 'kind', 'mode']],
      ['an uppercase slug', { ...dawn, slug: 'Dawn' }, ['slug']],
      ['a slug with a space', { ...dawn, slug: 'dawn dispatch' }, ['slug']],
      ['a slug of 121 characters', { ...dawn, slug: 'a'.repeat(121) }, ['slug']],
      ['a reserved slug', { ...dawn, slug: 'runs' }, ['slug']],
      ['an empty title', { ...dawn, title: '' }, ['title']],
      ['a title of 201 characters', { ...dawn, title: 'x'.repeat(201) }, ['title']],
      ['a kind of 51 characters', { ...dawn, kind: 'k'.repeat(51) }, ['kind']],
      ['an empty mode', { ...dawn, mode: '' }, ['mode']],
      ['a numeric title', { ...dawn, title: 42 }, ['title']],
      ['an unknown status', { ...dawn, status: 'paused' }, ['status']],
      ['an invalid cron expression', { ...dawn, schedule: '61 * * * *' }, ['schedule']],
      ['a cron expression with 6 fields', { ...dawn, schedule: '0 0 6 * * *' }, ['schedule']],
      ['a schedule that never fires', { ...dawn, schedule: '0 0 30 2 *' }, ['schedule']],
      ['an unknown time zone', { ...dawn, timezone: 'Mars/Olympus' }, ['timezone']],
      ['a negative grace', { ...dawn, grace_seconds: -1 }, ['grace_seconds']],
      ['a fractional max runtime', { ...dawn, max_runtime_seconds: 1.5 }, ['max_runtime_seconds']],
      ['tags that are not strings', { ...dawn, tags: [1] }, ['tags']],
      ['an unknown field', { ...dawn, owner: 'me' }, ['owner']],
      [
        'several bad fields',
        { ...dawn, slug: 'X', title: '', status: 'nope', extra: 1 },
        ['slug', 'title', 'status', 'extra'],
      ],
    ])('%s', async (_label, body, fields) => {
      const before = await stored();
      const res = await t.http().post('/api/capsules').send(body).expect(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 422, title: 'Unprocessable Content', detail: expect.any(String) });
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([...fields].sort());
      for (const error of res.body.errors) expect(typeof error.message).toBe('string');
      expect(await stored()).toEqual(before);
    });

    it('21 tags is a 422 naming tags, on a new capsule and on an update; 20 is allowed', async () => {
      const tags = (n: number) => Array.from({ length: n }, (_, i) => `tag-${i}`);
      const before = await count();
      const created = await t
        .http()
        .post('/api/capsules')
        .send({ ...dawn, slug: 'many-tags', tags: tags(21) })
        .expect(422);
      expect(created.body.errors).toEqual([{ field: 'tags', message: expect.stringContaining('20') }]);
      expect(await count()).toBe(before);

      const stored = await t
        .http()
        .post('/api/capsules')
        .send({ ...dawn, slug: 'many-tags', tags: tags(20) })
        .expect(200);
      expect(stored.body.tags).toEqual(tags(20));
      const updated = await t
        .http()
        .post('/api/capsules')
        .send({ ...dawn, slug: 'many-tags', tags: tags(21) })
        .expect(422);
      expect(updated.body.errors.map((e: { field: string }) => e.field)).toEqual(['tags']);
      const after = await t.http().get('/api/capsules/many-tags').expect(200);
      expect(after.body).toMatchObject({ tags: tags(20), revision: stored.body.revision });
    });

    it('a JSON array body', async () => {
      const res = await t.http().post('/api/capsules').send([dawn]).expect(422);
      expect(res.body.errors).toEqual([{ field: '(body)', message: expect.any(String) }]);
    });

    it('an unknown status filter', async () => {
      const res = await t.http().get('/api/capsules?status=deleted').expect(422);
      expect(res.body.errors[0].field).toBe('status');
    });

    it.each(['0', '-1', 'ten', '1.5'])('a limit of %s', async (limit) => {
      const res = await t.http().get(`/api/capsules?limit=${limit}`).expect(422);
      expect(res.body.errors[0].field).toBe('limit');
    });

    it('a malformed cursor is a 400', async () => {
      const res = await t.http().get('/api/capsules?cursor=not-a-cursor!').expect(400);
      expect(res.body).toMatchObject({ status: 400, code: 'INVALID_CURSOR', detail: expect.any(String) });
    });
  });

  describe('bad requests: a clear 4xx problem, nothing stored, nothing leaked', () => {
    it('malformed JSON is a 400', async () => {
      const before = await count();
      const res = await t
        .http()
        .post('/api/capsules')
        .set('Content-Type', 'application/json')
        .send('{"slug": "x",')
        .expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, detail: expect.stringMatching(/not valid JSON/) });
      expect(await count()).toBe(before);
    });

    it('JSON nested 5,000 deep is a 400 JSON_TOO_DEEP, not a crash', async () => {
      const before = await count();
      const res = await t
        .http()
        .post('/api/capsules')
        .set('Content-Type', 'application/json')
        .send(`{"slug": "deep", "tags": ${'['.repeat(5000)}${']'.repeat(5000)}}`)
        .expect(400);
      expect(res.body).toMatchObject({ status: 400, code: 'JSON_TOO_DEEP' });
      expect(await count()).toBe(before);
    });

    it('a body that is not UTF-8 is a 400 MALFORMED_UTF8, not stored as U+FFFD', async () => {
      const before = await count();
      // Bytes as Windows PowerShell 5.1 sends a string body without a charset: ISO-8859-1 ("é" is 0xE9).
      const res = await t
        .http()
        .post('/api/capsules')
        .set('Content-Type', 'application/json')
        .serialize((bytes: Buffer) => bytes as unknown as string) // the bytes as they are, not JSON of a Buffer
        .send(Buffer.from(JSON.stringify({ ...dawn, slug: 'latin', title: 'Café' }), 'latin1'))
        .expect(400);
      expect(res.body).toMatchObject({ status: 400, code: 'MALFORMED_UTF8' });
      expect(await count()).toBe(before);
    });

    it('__proto__ in a body is refused, as before', async () => {
      await t
        .http()
        .post('/api/capsules')
        .set('Content-Type', 'application/json')
        .send('{"slug": "proto", "__proto__": {"admin": true}}')
        .expect(400);
    });

    it('a wrong content type is a 415', async () => {
      const res = await t.http().post('/api/capsules').set('Content-Type', 'text/plain').send('slug=x').expect(415);
      expect(res.body).toMatchObject({ status: 415, detail: expect.stringContaining('application/json') });
    });

    it('an empty JSON body is a 400', async () => {
      const res = await t.http().post('/api/capsules').set('Content-Type', 'application/json').send('').expect(400);
      expect(res.body.status).toBe(400);
    });

    it('a body over the limit (64 KiB) is a 413', async () => {
      const res = await t
        .http()
        .post('/api/capsules')
        .send({ ...dawn, entrypoint: 'x'.repeat(70_000) })
        .expect(413);
      expect(res.body).toMatchObject({ status: 413, title: 'Payload Too Large' });
    });

    it('SQL in a field is stored verbatim, never executed', async () => {
      const title = "x'); DROP TABLE capsules; --";
      const res = await t
        .http()
        .post('/api/capsules')
        .send({ ...dawn, slug: 'sql-title', title })
        .expect(200);
      expect(res.body.title).toBe(title);
      const back = await t.http().get('/api/capsules?kind=dispatch').expect(200);
      expect(back.body.find((c: { slug: string }) => c.slug === 'sql-title').title).toBe(title);
    });
  });
});

describe('capsule lists clamp a limit above 1000', () => {
  // A database of its own: 1100 capsules would change what the listing tests above see.
  const CAPSULES = 1100;
  const VERSIONS = 1100;
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    // Through SQL, one statement each: the page size is under test, not registration.
    await t.dataSource.query(
      `INSERT INTO capsules (slug, title, kind, mode)
       SELECT 'bulk-' || lpad(i::text, 4, '0'), 'Bulk ' || i, 'bulk', 'automated'
       FROM generate_series(1, ${CAPSULES}) AS i`,
    );
    // Revision 1 comes from the insert trigger; revisions 2..VERSIONS stand for as many edits.
    await t.dataSource.query(
      `INSERT INTO capsule_versions (capsule_id, revision, definition)
       SELECT c.id, r, capsule_definition(c) FROM capsules c, generate_series(2, ${VERSIONS}) AS r
       WHERE c.slug = 'bulk-0001'`,
    );
  });

  afterAll(() => t.close());

  /** Asks for 5000; expects 1000, a Link, and the rest on the linked page. */
  it('GET /api/capsules?limit=5000 gives exactly 1000 (also the default) and a Link to the rest', async () => {
    await expectClampedTo1000(t, '/api/capsules?limit=5000', CAPSULES);
    const byDefault = await t.http().get('/api/capsules').expect(200);
    expect(byDefault.body.length).toBe(1000);
    expect(byDefault.headers.link).toMatch(/; rel="next"$/);
  });

  it('GET /api/capsules/:slug/versions?limit=5000 gives exactly 1000 and a Link to the rest', async () => {
    await expectClampedTo1000(t, '/api/capsules/bulk-0001/versions?limit=5000', VERSIONS);
  });
});
