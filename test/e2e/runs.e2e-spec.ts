import { registerCapsule } from '../support/fixtures';
import { expectClampedTo1000 } from '../support/pages';
import { createTestApp, type TestApp } from '../support/test-app';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('POST /api/capsules/run and GET /api/capsules/runs', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    for (const slug of ['dawn-dispatch', 'signals-daily']) {
      await t
        .http()
        .post('/api/capsules')
        .send({ slug, title: slug, kind: slug === 'dawn-dispatch' ? 'dispatch' : 'digest', mode: 'automated' })
        .expect(200);
    }
  });

  afterAll(async () => {
    await t.close();
  });

  async function runCount(): Promise<number> {
    const rows: { n: number }[] = await t.dataSource.query('SELECT count(*)::int AS n FROM capsule_runs');
    return rows[0].n;
  }

  it('records a finished run in one call: 200 with typed fields', async () => {
    const res = await t
      .http()
      .post('/api/capsules/run')
      .send({
        capsule_slug: 'dawn-dispatch',
        actor: 'cron',
        status: 'success',
        artifact_uri: 'gs://bucket/dawn/1.json',
        checksum: 'sha256:' + 'ab'.repeat(32),
      })
      .expect(200);
    expect(res.body).toEqual({
      id: expect.any(Number),
      capsule_slug: 'dawn-dispatch',
      actor: 'cron',
      status: 'success',
      started_at: expect.stringMatching(ISO),
      completed_at: expect.stringMatching(ISO),
      duration_ms: expect.any(Number),
      artifact_uri: 'gs://bucket/dawn/1.json',
      checksum: 'sha256:' + 'ab'.repeat(32),
      exit_code: null,
      message: null,
      run_key: null,
      capsule_revision: 1,
    });
    expect(res.body.duration_ms).toBe(Date.parse(res.body.completed_at) - Date.parse(res.body.started_at));
  });

  it('defaults status to success and derives duration_ms from given instants', async () => {
    const res = await t
      .http()
      .post('/api/capsules/run')
      .send({
        capsule_slug: 'dawn-dispatch',
        actor: 'cron',
        started_at: '2026-11-01T06:00:00Z',
        completed_at: '2026-11-01T06:00:12.5Z',
        exit_code: 0,
        message: 'ok',
      })
      .expect(200);
    expect(res.body).toMatchObject({
      status: 'success',
      started_at: '2026-11-01T06:00:00.000Z',
      completed_at: '2026-11-01T06:00:12.500Z',
      duration_ms: 12500,
      exit_code: 0,
      message: 'ok',
    });
  });

  it('starts a running run: no completion, no duration', async () => {
    const res = await t
      .http()
      .post('/api/capsules/run')
      .send({ capsule_slug: 'signals-daily', actor: 'worker-7', status: 'running' })
      .expect(200);
    expect(res.body).toMatchObject({ status: 'running', completed_at: null, duration_ms: null });
  });

  describe('checksums: any text up to 200 characters without control characters, stored exactly as sent', () => {
    it.each([
      ["the smoke script's", 'sha256:abc123...'],
      ["the PowerShell demo's", 'sha256:4821937'],
      ['upper-case hex (Get-FileHash)', 'SHA256:' + 'AB'.repeat(32)],
      ['the documented form', 'sha256:' + 'ab'.repeat(32)],
      ['another algorithm', 'md5:d41d8cd98f00b204e9800998ecf8427e'],
      ['free text', 'etag "0x8DC1A" (blob v2)'],
      ['non-ASCII text', 'prüfsumme:ä€😀'],
      ['200 characters', 'x'.repeat(200)],
      ['an empty', ''],
    ])('%s checksum is stored and returned as sent', async (_, checksum) => {
      const res = await t
        .http()
        .post('/api/capsules/run')
        .send({ capsule_slug: 'signals-daily', actor: 'a', checksum })
        .expect(200);
      expect(res.body.checksum).toBe(checksum);
      const read = await t.http().get(`/api/capsules/runs/${res.body.id}`).expect(200);
      expect(read.body.checksum).toBe(checksum);
      const stored = await t.dataSource.query('SELECT checksum FROM capsule_runs WHERE id = $1', [res.body.id]);
      expect(stored[0].checksum).toBe(checksum);
    });

    it.each([
      ['a NUL', 'sha256:ab\u0000cd'],
      ['a newline', 'sha256:ab\ncd'],
      ['a DEL', 'sha256:ab\u007fcd'],
      ['a C1 control', 'sha256:ab\u0085cd'],
      ['201 characters', 'x'.repeat(201)],
    ])('%s is a 422 naming checksum, nothing stored', async (_, checksum) => {
      const before = await runCount();
      const res = await t
        .http()
        .post('/api/capsules/run')
        .send({ capsule_slug: 'signals-daily', actor: 'a', checksum })
        .expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['checksum']);
      expect(await runCount()).toBe(before);
    });
  });

  it('an unknown capsule_slug is a 404 "Capsule not found", nothing stored', async () => {
    const before = await runCount();
    const res = await t.http().post('/api/capsules/run').send({ capsule_slug: 'nope', actor: 'cron' }).expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, detail: 'Capsule not found', code: 'CAPSULE_NOT_FOUND' });
    expect(await runCount()).toBe(before);
  });

  describe('bad input: 422, nothing stored', () => {
    const ok = { capsule_slug: 'dawn-dispatch', actor: 'cron' };
    it.each([
      ['no capsule_slug', { actor: 'cron' }, ['capsule_slug']],
      ['no actor', { capsule_slug: 'dawn-dispatch' }, ['actor']],
      ['an empty actor', { ...ok, actor: '' }, ['actor']],
      ['an actor of 121 characters', { ...ok, actor: 'a'.repeat(121) }, ['actor']],
      ['an unknown status', { ...ok, status: 'done' }, ['status']],
      ['a javascript: artifact URI', { ...ok, artifact_uri: 'javascript:alert(1)' }, ['artifact_uri']],
      ['a relative artifact URI', { ...ok, artifact_uri: 'bucket/file' }, ['artifact_uri']],
      ['a checksum with a control character', { ...ok, checksum: 'sha256:\tabc' }, ['checksum']],
      ['a non-ISO started_at', { ...ok, started_at: 'yesterday' }, ['started_at']],
      ['a week-date started_at (ISO-8601, not RFC 3339)', { ...ok, started_at: '2026-W49' }, ['started_at']],
      ['an ordinal-date started_at', { ...ok, started_at: '2026-336' }, ['started_at']],
      ['a basic-format completed_at', { ...ok, completed_at: '20261202T000000Z' }, ['completed_at']],
      ['February 30', { ...ok, started_at: '2026-02-30T00:00:00Z' }, ['started_at']],
      [
        'completed before started',
        { ...ok, started_at: '2026-11-01T06:00:00Z', completed_at: '2026-11-01T05:00:00Z' },
        ['completed_at'],
      ],
      [
        'a running run with completed_at',
        { ...ok, status: 'running', completed_at: '2026-11-01T05:00:00Z' },
        ['completed_at'],
      ],
      ['a started_at in the future', { ...ok, started_at: '2099-01-01T00:00:00Z' }, ['started_at']],
      ['a fractional exit_code', { ...ok, exit_code: 1.5 }, ['exit_code']],
      ['a message over 4000 characters', { ...ok, message: 'm'.repeat(4001) }, ['message']],
      ['an unknown field', { ...ok, run_by: 'me' }, ['run_by']],
    ])('%s', async (_label, body, fields) => {
      const before = await runCount();
      const res = await t.http().post('/api/capsules/run').send(body).expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([...fields].sort());
      expect(await runCount()).toBe(before);
    });

    it('an unknown status names the allowed ones', async () => {
      const res = await t
        .http()
        .post('/api/capsules/run')
        .send({ ...ok, status: 'done' })
        .expect(422);
      expect(res.body.errors[0].message).toContain('running, success, error, timeout, cancelled');
    });
  });

  describe('listing', () => {
    beforeAll(async () => {
      // 150 runs of signals-daily, one second apart, through SQL (the list is what is under test).
      await t.dataSource.query(`
        INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
        SELECT c.id, 'bulk', CASE WHEN i % 10 = 0 THEN 'error' ELSE 'success' END,
               timestamptz '2026-10-01T00:00:00Z' + i * interval '1 second',
               timestamptz '2026-10-01T00:00:00Z' + i * interval '1 second' + interval '500 milliseconds'
        FROM capsules c, generate_series(1, 150) AS i WHERE c.slug = 'signals-daily'`);
    });

    it('is a bare array, newest first, 100 by default, with a Link to the next page', async () => {
      const res = await t.http().get('/api/capsules/runs').expect(200);
      expect(Array.isArray(res.body)).toBe(true);
      expect(res.body).toHaveLength(100);
      const keys = res.body.map((r: { started_at: string; id: number }) => [Date.parse(r.started_at), r.id]);
      const sorted = [...keys].sort((a, b) => b[0] - a[0] || b[1] - a[1]);
      expect(keys).toEqual(sorted);
      expect(res.headers.link).toMatch(/^<\/api\/capsules\/runs\?cursor=[A-Za-z0-9_-]+>; rel="next"$/);
    });

    it('filters by capsule_slug; an empty value is no filter; an unknown slug gives []', async () => {
      const dawn = await t.http().get('/api/capsules/runs?capsule_slug=dawn-dispatch').expect(200);
      expect(dawn.body.length).toBeGreaterThan(0);
      expect(dawn.body.every((r: { capsule_slug: string }) => r.capsule_slug === 'dawn-dispatch')).toBe(true);
      const empty = await t.http().get('/api/capsules/runs?capsule_slug=&limit=1000').expect(200);
      expect(empty.body.length).toBe(await runCount());
      const unknown = await t.http().get('/api/capsules/runs?capsule_slug=unknown').expect(200);
      expect(unknown.body).toEqual([]);
    });

    it('walks every page with the Link header: no row lost or repeated', async () => {
      const seen: number[] = [];
      let url: string | undefined = '/api/capsules/runs?capsule_slug=signals-daily&limit=40';
      let pages = 0;
      while (url) {
        const res = await t.http().get(url).expect(200);
        seen.push(...res.body.map((r: { id: number }) => r.id));
        pages++;
        const link = res.headers.link as string | undefined;
        if (link) expect(link).toContain('capsule_slug=signals-daily');
        url = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
      }
      const rows: { id: string }[] = await t.dataSource.query(
        `SELECT r.id FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id
         WHERE c.slug = 'signals-daily' ORDER BY r.started_at DESC, r.id DESC`,
      );
      expect(seen).toEqual(rows.map((r) => Number(r.id)));
      expect(new Set(seen).size).toBe(seen.length);
      expect(pages).toBe(Math.ceil(rows.length / 40));
    });

    it('filters by status (repeatable), actor, kind and start instants', async () => {
      const errors = await t.http().get('/api/capsules/runs?status=error&limit=1000').expect(200);
      expect(errors.body).toHaveLength(15);
      const both = await t.http().get('/api/capsules/runs?status=error&status=running&limit=1000').expect(200);
      expect(both.body).toHaveLength(16);
      const actor = await t.http().get('/api/capsules/runs?actor=worker-7').expect(200);
      expect(actor.body.map((r: { actor: string }) => r.actor)).toEqual(['worker-7']);
      const kind = await t.http().get('/api/capsules/runs?kind=dispatch&limit=1000').expect(200);
      expect(kind.body.every((r: { capsule_slug: string }) => r.capsule_slug === 'dawn-dispatch')).toBe(true);
      const window = await t
        .http()
        .get('/api/capsules/runs?started_after=2026-10-01T00:00:10Z&started_before=2026-10-01T00:00:20Z')
        .expect(200);
      expect(window.body).toHaveLength(10);
    });

    it.each([
      ['a malformed cursor', 'cursor=abc!', 400],
      ['a cursor of another shape', `cursor=${Buffer.from('[1,"x"]').toString('base64url')}`, 400],
      ['limit=0', 'limit=0', 422],
      ['an unknown status', 'status=done', 422],
      ['a non-ISO started_after', 'started_after=last-week', 422],
      ['a week-date started_after', 'started_after=2026-W49', 422],
      ['a basic-format started_before', 'started_before=20261202T000000Z', 422],
    ])('rejects %s', async (_label, query, status) => {
      const res = await t.http().get(`/api/capsules/runs?${query}`).expect(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(typeof res.body.detail).toBe('string');
    });
  });
});

describe('run lists clamp a limit above 1000', () => {
  // A database of its own: 1200 runs would change every count the listing tests above rely on.
  const RUNS = 1200;
  const CHECKSUM = 'sha256:' + 'cd'.repeat(32);
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await registerCapsule(t, { slug: 'bulk-runs' });
    // One statement through SQL (the rollup triggers run once for it): the page size is under test, not inserts.
    await t.dataSource.query(
      `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at, checksum)
       SELECT c.id, 'bulk', 'success',
              timestamptz '2026-09-01T00:00:00Z' + i * interval '1 second',
              timestamptz '2026-09-01T00:00:00Z' + i * interval '1 second' + interval '1 second',
              $1
       FROM capsules c, generate_series(1, ${RUNS}) AS i WHERE c.slug = 'bulk-runs'`,
      [CHECKSUM],
    );
  });

  afterAll(() => t.close());

  it.each([
    ['every run', '/api/capsules/runs'],
    ['the runs of a capsule', '/api/capsules/bulk-runs/runs'],
    ['the runs of an artifact', `/api/artifacts?checksum=${CHECKSUM}`],
  ])('%s: limit=5000 gives exactly 1000 and a Link to the rest', async (_label, list) => {
    const url = `${list}${list.includes('?') ? '&' : '?'}limit=5000`;
    const runs = await expectClampedTo1000<{ id: number }>(t, url, RUNS);
    expect(new Set(runs.map((r) => r.id)).size).toBe(RUNS);
  });
});

describe('edited cursors are a 400, never a database error', () => {
  let t: TestApp;
  const cursor = (...values: unknown[]) => Buffer.from(JSON.stringify([1, ...values])).toString('base64url');

  beforeAll(async () => {
    t = await createTestApp();
    await registerCapsule(t, { slug: 'edited' });
  });
  afterAll(() => t.close());

  it.each([
    ['a run cursor in year +010000', () => `/api/capsules/runs?cursor=${cursor('+010000-01-01T00:00:00.000Z', 5)}`],
    ['a run cursor with a NUL', () => `/api/capsules/runs?cursor=${cursor('2026-01-01T00:00:00.000Z\u0000', 5)}`],
    ['a capsule cursor with a NUL', () => `/api/capsules?cursor=${cursor('dawn\u0000')}`],
    ['a version cursor of 2^31', () => `/api/capsules/edited/versions?cursor=${cursor(2 ** 31)}`],
  ])('%s', async (_, url) => {
    const res = await t.http().get(url()).expect(400);
    expect(res.body).toMatchObject({ status: 400, code: 'INVALID_CURSOR' });
  });

  it('a run cursor with an id of 2^31 is a valid position (ids are bigint)', async () => {
    await t
      .http()
      .get(`/api/capsules/runs?cursor=${cursor('2026-01-01T00:00:00.000Z', 2 ** 31)}`)
      .expect(200);
  });
});

describe('run pages are bounded in bytes as well as rows', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await registerCapsule(t, { slug: 'noisy' });
    // 60 runs whose 4,000-character message is all U+0001: 6 bytes of JSON each, ~24 KB a run.
    await t.dataSource.query(
      `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at, message)
       SELECT c.id, 'cron', 'success', at, at, repeat(chr(1), 4000)
       FROM capsules c, generate_series(timestamptz '2026-11-01', timestamptz '2026-11-01' + interval '59 minutes',
                                        interval '1 minute') AS at
       WHERE c.slug = 'noisy'`,
    );
  });
  afterAll(() => t.close());

  it('a page ends near 1 MiB with a next link, and the pages together hold every run once', async () => {
    const seen: number[] = [];
    let url: string | undefined = '/api/capsules/runs?capsule_slug=noisy&limit=1000';
    let pages = 0;
    while (url) {
      const res = await t.http().get(url).expect(200);
      expect(res.text.length).toBeLessThan(1024 * 1024 + 30_000);
      seen.push(...res.body.map((r: { id: number }) => r.id));
      const link = res.headers.link as string | undefined;
      url = link ? /^<([^>]+)>/.exec(link)![1] : undefined;
      pages++;
    }
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(60);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });

  it('ordinary runs (an artifact, a checksum) still come 1000 to a page', async () => {
    await t.dataSource.query(
      `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at, artifact_uri, checksum, message)
       SELECT c.id, 'system-scheduler', 'success', at, at,
              'https://storage.googleapis.com/codex-artifacts/signals-daily-' || to_char(at, 'YYYYMMDDHH24MI') || '.tar.gz',
              'sha256:' || encode(sha256(at::text::bytea), 'hex'), 'dispatched 42 envelopes'
       FROM capsules c, generate_series(timestamptz '2026-10-01', timestamptz '2026-10-01' + interval '1099 minutes',
                                        interval '1 minute') AS at
       WHERE c.slug = 'noisy'`,
    );
    const res = await t
      .http()
      .get('/api/capsules/runs?capsule_slug=noisy&status=success&started_before=2026-10-31T00:00:00Z&limit=1000')
      .expect(200);
    expect(res.body).toHaveLength(1000);
    expect(res.headers.link).toMatch(/rel="next"/);
  });
});
