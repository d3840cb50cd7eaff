import { createTestApp, type TestApp } from '../support/test-app';

const SHA = (c: string) => `sha256:${c.repeat(64)}`;

describe('runs beyond the original: lifecycle, exactly-once, per-capsule lists, artifacts', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    for (const slug of ['dispatcher', 'reconciler']) {
      await t.http().post('/api/capsules').send({ slug, title: slug, kind: 'treasury', mode: 'automated' }).expect(200);
    }
  });

  afterAll(async () => {
    await t.close();
  });

  async function runCount(): Promise<number> {
    const rows: { n: number }[] = await t.dataSource.query('SELECT count(*)::int AS n FROM capsule_runs');
    return rows[0].n;
  }

  async function start(extra: Record<string, unknown> = {}) {
    return (
      await t
        .http()
        .post('/api/capsules/run')
        .send({
          capsule_slug: 'dispatcher',
          actor: 'worker',
          status: 'running',
          started_at: '2026-11-20T06:00:00Z',
          ...extra,
        })
        .expect(200)
    ).body;
  }

  describe('lifecycle: start, then finish with PATCH', () => {
    it('GET /api/capsules/runs/:id answers the run', async () => {
      const run = await start();
      const res = await t.http().get(`/api/capsules/runs/${run.id}`).expect(200);
      expect(res.body).toEqual(run);
    });

    it('finishing derives completed_at (default now) and duration_ms', async () => {
      const run = await start();
      const res = await t
        .http()
        .patch(`/api/capsules/runs/${run.id}`)
        .send({
          status: 'success',
          completed_at: '2026-11-20T06:01:30Z',
          exit_code: 0,
          message: 'done',
          artifact_uri: 's3://b/k',
          checksum: SHA('c'),
        })
        .expect(200);
      expect(res.body).toMatchObject({
        id: run.id,
        status: 'success',
        completed_at: '2026-11-20T06:01:30.000Z',
        duration_ms: 90_000,
        exit_code: 0,
        message: 'done',
        artifact_uri: 's3://b/k',
        checksum: SHA('c'),
      });
      const later = await start();
      const now = await t.http().patch(`/api/capsules/runs/${later.id}`).send({ status: 'error' }).expect(200);
      expect(Date.parse(now.body.completed_at)).toBeGreaterThan(Date.parse('2026-11-20T06:00:00Z'));
      expect(now.body.duration_ms).toBe(Date.parse(now.body.completed_at) - Date.parse(now.body.started_at));
    });

    it('details may be added while running', async () => {
      const run = await start();
      const res = await t.http().patch(`/api/capsules/runs/${run.id}`).send({ message: 'half way' }).expect(200);
      expect(res.body).toMatchObject({ status: 'running', completed_at: null, message: 'half way' });
    });

    it('repeating the same finish is 200 and changes nothing', async () => {
      const run = await start();
      const first = await t
        .http()
        .patch(`/api/capsules/runs/${run.id}`)
        .send({ status: 'success', exit_code: 0 })
        .expect(200);
      const again = await t
        .http()
        .patch(`/api/capsules/runs/${run.id}`)
        .send({ status: 'success', exit_code: 0 })
        .expect(200);
      expect(again.body).toEqual(first.body);
    });

    it('finishing a finished run with another outcome is a 409 that says why, and changes nothing', async () => {
      const run = await start();
      const done = await t.http().patch(`/api/capsules/runs/${run.id}`).send({ status: 'success' }).expect(200);
      for (const body of [{ status: 'error' }, { status: 'success', exit_code: 3 }, { message: 'late news' }]) {
        const res = await t.http().patch(`/api/capsules/runs/${run.id}`).send(body).expect(409);
        expect(res.body).toMatchObject({
          status: 409,
          code: 'RUN_ALREADY_FINISHED',
          detail: expect.stringContaining('success'),
        });
      }
      expect((await t.http().get(`/api/capsules/runs/${run.id}`).expect(200)).body).toEqual(done.body);
    });

    it.each([
      ['completed_at before started_at', { status: 'success', completed_at: '2026-11-20T05:59:59Z' }, 'completed_at'],
      ['completed_at without a final status', { completed_at: '2026-11-20T06:05:00Z' }, 'completed_at'],
      ['completed_at with status running', { status: 'running', completed_at: '2026-11-20T06:05:00Z' }, 'completed_at'],
      ['completed_at in the future', { status: 'success', completed_at: '2099-01-01T00:00:00Z' }, 'completed_at'],
      ['a week-date completed_at', { status: 'success', completed_at: '2026-W49' }, 'completed_at'],
      ['an unknown status', { status: 'finished' }, 'status'],
      ['a null status', { status: null }, 'status'],
      ['a javascript: artifact', { artifact_uri: 'javascript:alert(1)' }, 'artifact_uri'],
      ['an unknown field', { duration_ms: 5 }, 'duration_ms'],
    ])('rejects %s with 422 and changes nothing', async (_label, body, field) => {
      const run = await start();
      const res = await t.http().patch(`/api/capsules/runs/${run.id}`).send(body).expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
      expect((await t.http().get(`/api/capsules/runs/${run.id}`).expect(200)).body).toEqual(run);
    });

    it.each(['999999999', 'abc', '0', '-1', '1.5', '99999999999999999999999'])(
      'run id %s is a 404 problem',
      async (id) => {
        const get = await t.http().get(`/api/capsules/runs/${id}`).expect(404);
        expect(get.body).toMatchObject({ status: 404, code: 'RUN_NOT_FOUND' });
        await t.http().patch(`/api/capsules/runs/${id}`).send({ status: 'success' }).expect(404);
      },
    );
  });

  describe('exactly-once reporting', () => {
    const report = {
      capsule_slug: 'reconciler',
      actor: 'cron',
      started_at: '2026-11-21T06:00:00Z',
      completed_at: '2026-11-21T06:00:05Z',
    };

    it('the same run_key twice records one run and answers the same run', async () => {
      const before = await runCount();
      const first = await t
        .http()
        .post('/api/capsules/run')
        .send({ ...report, run_key: 'rk-1' })
        .expect(200);
      const again = await t
        .http()
        .post('/api/capsules/run')
        .send({ ...report, run_key: 'rk-1' })
        .expect(200);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(await runCount()).toBe(before + 1);
    });

    it('the Idempotency-Key header works like run_key', async () => {
      const first = await t.http().post('/api/capsules/run').set('Idempotency-Key', 'hdr-1').send(report).expect(200);
      const again = await t.http().post('/api/capsules/run').set('Idempotency-Key', 'hdr-1').send(report).expect(200);
      expect(again.body.id).toBe(first.body.id);
      expect(first.body.run_key).toBe('hdr-1');
      const body = await t
        .http()
        .post('/api/capsules/run')
        .send({ ...report, run_key: 'hdr-1' })
        .expect(200);
      expect(body.body.id).toBe(first.body.id);
    });

    it('the same key with another payload or capsule is a 409, nothing stored', async () => {
      await t
        .http()
        .post('/api/capsules/run')
        .send({ ...report, run_key: 'rk-2' })
        .expect(200);
      const before = await runCount();
      const payload = await t
        .http()
        .post('/api/capsules/run')
        .send({ ...report, status: 'error', run_key: 'rk-2' })
        .expect(409);
      expect(payload.body).toMatchObject({
        status: 409,
        code: 'RUN_KEY_CONFLICT',
        detail: expect.stringContaining('rk-2'),
      });
      await t
        .http()
        .post('/api/capsules/run')
        .send({ ...report, capsule_slug: 'dispatcher', run_key: 'rk-2' })
        .expect(409);
      expect(await runCount()).toBe(before);
    });

    it('50 concurrent identical reports record exactly one run, and every answer is that run', async () => {
      const before = await runCount();
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          t
            .http()
            .post('/api/capsules/run')
            .send({ ...report, run_key: 'storm' }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect(await runCount()).toBe(before + 1);
    });

    it.each([
      ['a run_key with spaces', { run_key: 'has space' }, {}, 'run_key'],
      ['a run_key over 200 characters', { run_key: 'k'.repeat(201) }, {}, 'run_key'],
      ['a body key that differs from the header', { run_key: 'a' }, { 'Idempotency-Key': 'b' }, 'run_key'],
      ['a malformed Idempotency-Key', {}, { 'Idempotency-Key': 'x'.repeat(201) }, 'Idempotency-Key'],
    ])('rejects %s with 422', async (_label, extra, headers, field) => {
      const before = await runCount();
      const res = await t
        .http()
        .post('/api/capsules/run')
        .set(headers)
        .send({ ...report, ...extra })
        .expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
      expect(await runCount()).toBe(before);
    });

    it('a run_key for an unknown capsule is still a 404', async () => {
      const res = await t
        .http()
        .post('/api/capsules/run')
        .send({ ...report, capsule_slug: 'ghost', run_key: 'rk-ghost' })
        .expect(404);
      expect(res.body.detail).toBe('Capsule not found');
    });
  });

  describe('runs of one capsule', () => {
    it('GET /api/capsules/:slug/runs lists only that capsule, newest first, with the same filters', async () => {
      const res = await t.http().get('/api/capsules/reconciler/runs').expect(200);
      expect(res.body.length).toBeGreaterThan(0);
      expect(res.body.every((r: { capsule_slug: string }) => r.capsule_slug === 'reconciler')).toBe(true);
      const running = await t.http().get('/api/capsules/dispatcher/runs?status=running&limit=1000').expect(200);
      expect(running.body.every((r: { status: string }) => r.status === 'running')).toBe(true);
      const page = await t.http().get('/api/capsules/dispatcher/runs?limit=1').expect(200);
      expect(page.headers.link).toMatch(/^<\/api\/capsules\/dispatcher\/runs\?limit=1&cursor=/);
    });
  });

  describe('artifacts', () => {
    beforeAll(async () => {
      for (const [slug, at, checksum] of [
        ['dispatcher', '2026-11-22T06:00:00Z', SHA('a')],
        ['reconciler', '2026-11-22T07:00:00Z', SHA('a')],
        ['dispatcher', '2026-11-22T08:00:00Z', SHA('b')],
      ]) {
        await t
          .http()
          .post('/api/capsules/run')
          .send({
            capsule_slug: slug,
            actor: 'cron',
            started_at: at,
            artifact_uri: `gs://bucket/${slug}/${at}`,
            checksum,
          })
          .expect(200);
      }
      // A newer run without artifact does not hide the latest artifact.
      await t
        .http()
        .post('/api/capsules/run')
        .send({ capsule_slug: 'dispatcher', actor: 'cron', started_at: '2026-11-22T09:00:00Z' })
        .expect(200);
    });

    it('GET /api/artifacts?checksum= lists the runs that produced it, newest first', async () => {
      const res = await t
        .http()
        .get(`/api/artifacts?checksum=${SHA('a')}`)
        .expect(200);
      expect(res.body.map((r: { capsule_slug: string; started_at: string }) => [r.capsule_slug, r.started_at])).toEqual(
        [
          ['reconciler', '2026-11-22T07:00:00.000Z'],
          ['dispatcher', '2026-11-22T06:00:00.000Z'],
        ],
      );
      expect(
        (
          await t
            .http()
            .get(`/api/artifacts?checksum=${SHA('f')}`)
            .expect(200)
        ).body,
      ).toEqual([]);
    });

    it('a lookup folds the case of a hex digest (Get-FileHash prints upper case), not of other values', async () => {
      const upper = await t
        .http()
        .get('/api/artifacts')
        .query({ checksum: SHA('a').toUpperCase() })
        .expect(200);
      expect(upper.body.map((r: { capsule_slug: string }) => r.capsule_slug)).toEqual(['reconciler', 'dispatcher']);
      expect(upper.body[0].checksum).toBe(SHA('a'));

      await t
        .http()
        .post('/api/capsules/run')
        .send({ capsule_slug: 'reconciler', actor: 'cron', checksum: 'md5-b64:1B2M2Y8AsgTpgAmY7PhCfg==' })
        .expect(200);
      const exact = await t.http().get('/api/artifacts').query({ checksum: 'md5-b64:1B2M2Y8AsgTpgAmY7PhCfg==' });
      expect(exact.body).toHaveLength(1);
      const folded = await t.http().get('/api/artifacts').query({ checksum: 'md5-b64:1b2m2y8asgtpgamy7phcfg==' });
      expect(folded.body).toEqual([]);
    });

    it('the lookup is served by the checksum-key index', async () => {
      await t.dataSource.query('ANALYZE capsule_runs');
      const plan = await t.dataSource.transaction(async (m) => {
        await m.query('SET LOCAL enable_seqscan = off');
        return m.query(
          `EXPLAIN (FORMAT JSON) SELECT id FROM capsule_runs r WHERE checksum_key(r.checksum) = checksum_key($1)
           ORDER BY started_at DESC, id DESC LIMIT 10`,
          [SHA('a')],
        );
      });
      expect(JSON.stringify(plan)).toContain('capsule_runs_checksum_key_idx');
    });

    it.each([
      ['no checksum', ''],
      ['a checksum with a control character', '?checksum=a%0Ab'],
    ])('GET /api/artifacts with %s is a 422', async (_label, query) => {
      const res = await t.http().get(`/api/artifacts${query}`).expect(422);
      expect(res.body.errors[0].field).toBe('checksum');
    });

    it('GET /api/capsules/:slug/artifacts/latest answers the newest run artifact', async () => {
      const res = await t.http().get('/api/capsules/dispatcher/artifacts/latest').expect(200);
      expect(res.body).toEqual({
        capsule_slug: 'dispatcher',
        run_id: expect.any(Number),
        artifact_uri: 'gs://bucket/dispatcher/2026-11-22T08:00:00Z',
        checksum: SHA('b'),
        status: 'success',
        started_at: '2026-11-22T08:00:00.000Z',
        completed_at: expect.any(String),
      });
    });

    it('a capsule without artifacts is a 404 problem', async () => {
      await t.http().post('/api/capsules').send({ slug: 'bare', title: 'Bare', kind: 'k', mode: 'm' }).expect(200);
      const res = await t.http().get('/api/capsules/bare/artifacts/latest').expect(404);
      expect(res.body).toMatchObject({ status: 404, code: 'ARTIFACT_NOT_FOUND' });
    });
  });
});
