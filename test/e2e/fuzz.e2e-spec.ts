import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { registerCapsule } from '../support/fixtures';
import {
  anyString,
  badCredentials,
  type BodyField,
  headerSafePayload,
  headerSet,
  type HeaderSet,
  malformedJson,
  METHODS,
  type Method,
  type Operation,
  operationsOf,
  type PathValue,
  pathValue,
  queryString,
  sqlPayload,
  toWellFormed,
  wrongValue,
} from '../support/fuzz-arbitraries';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * Property-based tests: generated and malformed paths, query strings,
 * headers and bodies, sent to every route of the app's own OpenAPI document.
 * Never a 5xx; every rejection is problem+json that leaks nothing of the
 * server (stack, SQL, driver text); a rejected write leaves the database as
 * it was; an accepted write reads back as sent; SQL in any string field is
 * rejected or stored verbatim, never executed.
 */

const TABLES = ['capsules', 'capsule_versions', 'capsule_runs', 'capsule_run_rollups', 'api_keys'];
const SEED_SLUGS = ['fuzz-alpha', 'fuzz-beta', 'fuzz-gamma'];
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Text that only a leak of server internals would put in an answer (unless the request itself carried it). */
const LEAKS = [
  'at /',
  'node_modules',
  'SELECT ',
  'INSERT ',
  'UPDATE ',
  'DELETE FROM',
  'violates',
  'syntax error',
  'QueryFailedError',
  'relation ',
  'duplicate key',
  'invalid input syntax',
  'invalid byte sequence',
  'TypeError',
  'Cannot read prop',
  '.ts:',
  '.js:',
];

interface Sent {
  method: Method;
  path: string;
  headers: HeaderSet;
  /** The raw body text, when one was sent. */
  body?: string;
}

interface Snapshot {
  tables: string[];
  rows: Record<string, string>;
}

// Each property sends a few hundred requests; a property still running past a timeout would race the next one.
jest.setTimeout(120_000);

describe('fuzz: every route, generated input', () => {
  let t: TestApp;
  let operations: Operation[];
  let fresh = 0;

  beforeAll(async () => {
    t = await createTestApp();
    const spec = await t.http().get('/openapi.json').expect(200);
    operations = operationsOf(spec.body);
    await ensureSeeds();
  });

  afterAll(async () => {
    await t?.close();
  });

  const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(fresh++).toString(36)}`;

  /** The seed capsules and a running run, recreated when a DELETE or PATCH took them. */
  async function ensureSeeds(): Promise<void> {
    const present: { slug: string }[] = await t.dataSource.query('SELECT slug FROM capsules WHERE slug = ANY($1)', [
      SEED_SLUGS,
    ]);
    const have = new Set(present.map((row) => row.slug));
    if (!have.has('fuzz-alpha')) await registerCapsule(t, { slug: 'fuzz-alpha', schedule: '0 6 * * *' });
    if (!have.has('fuzz-beta')) await registerCapsule(t, { slug: 'fuzz-beta', timezone: 'America/New_York' });
    if (!have.has('fuzz-gamma')) await registerCapsule(t, { slug: 'fuzz-gamma', status: 'archived' });
    const runs: { n: number }[] = await t.dataSource.query(
      "SELECT count(*) FILTER (WHERE status = 'running')::int AS n FROM capsule_runs",
    );
    if (runs[0].n === 0) await startRun();
  }

  async function startRun(): Promise<number> {
    const res = await t
      .http()
      .post('/api/capsules/run')
      .send({ capsule_slug: 'fuzz-alpha', actor: 'fuzz', status: 'running' })
      .expect(200);
    return res.body.id as number;
  }

  async function snapshot(): Promise<Snapshot> {
    const tables: { tablename: string }[] = await t.dataSource.query(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    const rows: { name: string; n: number; h: string }[] = await t.dataSource.query(
      TABLES.map(
        (table) =>
          `SELECT '${table}' AS name, count(*)::int AS n, md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS h FROM ${table} t`,
      ).join(' UNION ALL '),
    );
    return {
      tables: tables.map((row) => row.tablename),
      rows: Object.fromEntries(rows.map((row) => [row.name, `${row.n}:${row.h}`])),
    };
  }

  async function existing(param: string, n: number): Promise<string> {
    const rows: { v: string }[] =
      param === 'id'
        ? await t.dataSource.query('SELECT id::text AS v FROM capsule_runs ORDER BY id')
        : await t.dataSource.query('SELECT slug AS v FROM capsules ORDER BY slug');
    return rows.length ? encodeURIComponent(rows[n % rows.length].v) : 'fuzz-alpha';
  }

  async function pathOf(op: Operation, values: Record<string, PathValue>): Promise<string> {
    let path = op.template;
    for (const param of op.pathParams) {
      const value = values[param] ?? { existing: 0 };
      const text = 'raw' in value ? value.raw : await existing(param, value.existing);
      path = path.replace(`{${param}}`, text);
    }
    return path;
  }

  async function send(sent: Sent): Promise<Response> {
    let req = t.http()[sent.method](sent.path);
    for (const [name, value] of Object.entries(sent.headers)) {
      if (value !== undefined) req = req.set(name, value);
    }
    if (sent.body !== undefined) req = req.send(sent.body);
    return req;
  }

  const describeSent = (sent: Sent, res: Response) =>
    `${sent.method.toUpperCase()} ${sent.path} ${JSON.stringify(sent.headers)} body=${JSON.stringify(
      sent.body?.slice(0, 300),
    )} -> ${res.status} ${res.text.slice(0, 500)}`;

  /** What every answer must be, whatever was sent. */
  function checkAnswer(sent: Sent, res: Response): void {
    const context = describeSent(sent, res);
    if (res.status >= 500) throw new Error(`5xx: ${context}`);

    const given = sent.headers['x-request-id']?.replace(/^[ \t]+|[ \t]+$/g, '');
    const echoed = res.headers['x-request-id'] as string | undefined;
    if (given !== undefined && REQUEST_ID.test(given)) {
      if (echoed !== given) throw new Error(`x-request-id ${echoed} does not echo ${given}: ${context}`);
    } else if (!echoed || !UUID.test(echoed)) {
      throw new Error(`x-request-id ${echoed} is not a fresh uuid: ${context}`);
    }

    if (res.status < 400) return;
    const contentType = String(res.headers['content-type']);
    if (!contentType.startsWith('application/problem+json')) {
      throw new Error(`rejection is ${contentType}, not problem+json: ${context}`);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(res.text) as Record<string, unknown>;
    } catch {
      throw new Error(`problem body is not JSON: ${context}`);
    }
    const shape = {
      type: typeof body.type,
      title: typeof body.title,
      status: body.status,
      detail: typeof body.detail,
    };
    if (
      JSON.stringify(shape) !==
      JSON.stringify({ type: 'string', title: 'string', status: res.status, detail: 'string' })
    ) {
      throw new Error(`problem body has the wrong shape ${JSON.stringify(shape)}: ${context}`);
    }
    if (res.status === 405 && !res.headers.allow) throw new Error(`405 without Allow: ${context}`);
    const request = safeDecode(sent.path) + (sent.body ?? '') + Object.values(sent.headers).join('\n');
    for (const leak of LEAKS) {
      if (res.text.includes(leak) && !request.includes(leak)) throw new Error(`answer leaks "${leak}": ${context}`);
    }
  }

  /** Sends a request; checks the answer, and for writes that nothing changed on rejection. */
  async function exchange(sent: Sent): Promise<Response> {
    const write = sent.method !== 'get';
    const before = write ? await snapshot() : undefined;
    const res = await send(sent);
    checkAnswer(sent, res);
    if (before && res.status >= 400) {
      const after = await snapshot();
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        throw new Error(`rejected write changed the database: ${describeSent(sent, res)}`);
      }
    }
    return res;
  }

  /**
   * An accepted write reads back: what the write answered is what a GET
   * answers, and every string field sent is stored verbatim.
   */
  async function checkReadBack(op: Operation, sent: Sent, res: Response, body: unknown): Promise<void> {
    const context = describeSent(sent, res);
    if (op.method === 'delete') {
      const gone = await t.http().get(sent.path);
      if (gone.status !== 404) throw new Error(`deleted resource answers ${gone.status}: ${context}`);
      return;
    }
    let readPath: string | undefined;
    if (operations.some((o) => o.method === 'get' && o.template === op.template)) readPath = sent.path;
    if (typeof res.headers.location === 'string') readPath = res.headers.location;
    if (op.template === '/api/capsules' && typeof res.body?.slug === 'string') {
      readPath = `/api/capsules/${encodeURIComponent(res.body.slug)}`;
    }
    if (op.template === '/api/capsules/run' && typeof res.body?.id === 'number') {
      readPath = `/api/capsules/runs/${res.body.id}`;
    }
    if (!readPath) return;
    const read = await t.http().get(readPath);
    if (read.status !== 200) throw new Error(`accepted write reads back ${read.status}: ${context}`);
    for (const [key, value] of Object.entries(res.body as Record<string, unknown>)) {
      if (!isDeepStrictEqual(read.body[key], value)) {
        throw new Error(`read back ${key}=${JSON.stringify(read.body[key])}, write answered ${JSON.stringify(value)}`);
      }
    }
    if (typeof body !== 'object' || body === null) return;
    for (const field of op.body ?? []) {
      const value = (body as Record<string, unknown>)[field.name];
      if (!field.textual || field.format === 'date-time' || value === undefined || value === null) continue;
      if (!isDeepStrictEqual(read.body[field.name], value)) {
        throw new Error(
          `${field.name} sent ${JSON.stringify(value)} but stored ${JSON.stringify(read.body[field.name])}: ${context}`,
        );
      }
    }
  }

  const sendable = (op: Operation) => op.body !== undefined || op.method === 'delete';

  /** A body for an operation: a valid one with some fields wrong, missing or added, or anything at all. */
  function bodyFor(op: Operation): fc.Arbitrary<unknown> {
    const fields = op.body ?? [];
    if (fields.length === 0) return fc.oneof(fc.anything({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }));
    const base = fc.constant(null).map(() => validBody(op));
    const edited = fc
      .tuple(
        base,
        fc.array(fc.tuple(fc.constantFrom(...fields.map((f) => f.name)), wrongValue()), { minLength: 1, maxLength: 3 }),
        fc.subarray(fields.map((f) => f.name)),
        fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), wrongValue()), { nil: undefined }),
      )
      .map(([valid, wrong, dropped, extra]) => {
        const body: Record<string, unknown> = { ...valid };
        for (const [name, value] of wrong) body[name] = value;
        for (const name of dropped.slice(0, 2)) delete body[name];
        if (extra) body[extra[0]] = extra[1];
        return body;
      });
    return fc.oneof(
      { weight: 6, arbitrary: edited },
      { weight: 1, arbitrary: base },
      { weight: 2, arbitrary: fc.anything({ maxDepth: 3 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
  }

  /** A body that passes validation, from the spec's examples and fresh keys. */
  function validBody(op: Operation): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const field of op.body ?? []) {
      if (!field.required) continue;
      body[field.name] = validValue(field);
    }
    if (op.method === 'patch' && Object.keys(body).length === 0) {
      const optional = (op.body ?? []).find((f) => f.name === 'message') ?? (op.body ?? [])[0];
      if (optional) body[optional.name] = validValue(optional);
    }
    return body;
  }

  function validValue(field: BodyField): unknown {
    switch (field.name) {
      case 'slug':
        return unique('fz');
      case 'capsule_slug':
        return 'fuzz-alpha';
      case 'run_key':
        return unique('key');
      case 'started_at':
      case 'completed_at':
        return undefined;
      default:
        return field.example;
    }
  }

  function serialize(body: unknown): string | undefined {
    return body === undefined ? undefined : JSON.stringify(body);
  }

  describe('inputs the properties found (kept as examples)', () => {
    it.each([
      ['a NUL byte in a body string', 'post', '/api/capsules', { title: 'nul\u0000byte' }],
      ['a NUL byte in a run field', 'post', '/api/capsules/run', { actor: 'a\u0000' }],
      ['an unpaired surrogate in a body string', 'post', '/api/capsules', { title: '\ud800' }],
      ['a NUL byte in a PATCH', 'patch', '/api/capsules/{slug}', { entrypoint: '\u0000' }],
    ] as const)('%s: rejected (4xx) or stored verbatim', async (_label, method, template, fields) => {
      await ensureSeeds();
      const op = operations.find((o) => o.method === method && o.template === template)!;
      const body = { ...validBody(op), ...fields };
      const path = template.replace('{slug}', 'fuzz-beta');
      const sent: Sent = { method, path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
      const res = await exchange(sent);
      if (res.status < 300) await checkReadBack(op, sent, res, body);
    });

    it.each([
      ['a NUL byte in a query filter', '/api/capsules?kind=%00'],
      ['a NUL byte in a run filter', '/api/capsules/runs?actor=%00'],
      ['a NUL byte in a slug', '/api/capsules/nul%00byte'],
      ['a NUL byte in a slug of a sub-resource', '/api/capsules/%00/versions'],
      ['a percent-escape that is not UTF-8', '/api/capsules/%ED%A0%80'],
      ['a truncated percent-escape', '/api/capsules/%zz/runs'],
      ['a path parameter over 100 characters', `/api/capsules/${'b'.repeat(2000)}`],
      ['a request line over the header limit', `/api/capsules?kind=${'k'.repeat(20_000)}`],
    ])('%s: a 4xx problem with a request id', async (_label, path) => {
      const res = await exchange({ method: 'get', path, headers: {} });
      expect(res.status).toBeGreaterThanOrEqual(400);
    });

    it('a slug of 101 to 120 characters (valid) can be read, changed and deleted', async () => {
      const slug = 'l'.repeat(120);
      await registerCapsule(t, { slug });
      await t.http().get(`/api/capsules/${slug}`).expect(200);
      await t.http().get(`/api/capsules/${slug}/versions`).expect(200);
      await t.http().patch(`/api/capsules/${slug}`).send({ title: 'Long' }).expect(200);
      await t.http().delete(`/api/capsules/${slug}`).expect(204);
    });

    it('a form post (the body a browser sends cross-site without a preflight) is a 415, nothing stored', async () => {
      const sent: Sent = {
        method: 'post',
        path: '/api/capsules',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'slug=from-a-form&title=t&kind=k&mode=m',
      };
      const res = await exchange(sent);
      expect(res.status).toBe(415);
    });
  });

  it('reads its routes from the OpenAPI document', () => {
    const routes = operations.map((op) => `${op.method.toUpperCase()} ${op.template}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /api/capsules',
        'GET /api/capsules/{slug}',
        'PATCH /api/capsules/{slug}',
        'DELETE /api/capsules/{slug}',
        'POST /api/capsules/run',
        'PATCH /api/capsules/runs/{id}',
      ]),
    );
    expect(operations.filter((op) => op.body).length).toBeGreaterThanOrEqual(4);
  });

  it('any route, with generated path parameters, query strings, headers and bodies: never a 5xx', async () => {
    const request = fc.constantFrom(...operations).chain((op) =>
      fc.record({
        op: fc.constant(op),
        params: fc.record(Object.fromEntries(op.pathParams.map((p) => [p, pathValue()]))),
        query: queryString(op.queryParams),
        headers: headerSet(),
        body: sendable(op) ? fc.option(bodyFor(op), { nil: undefined, freq: 4 }) : fc.constant(undefined),
        wrongMethod: fc.option(fc.constantFrom(...METHODS), { nil: undefined, freq: 6 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async ({ op, params, query, headers, body, wrongMethod }) => {
        await ensureSeeds();
        const path = (await pathOf(op, params)) + (query ? `?${query}` : '');
        const method = wrongMethod ?? op.method;
        const hasBody = method !== 'get' && body !== undefined;
        const sent: Sent = { method, path, headers, body: hasBody ? serialize(body) : undefined };
        const res = await exchange(sent);
        if (!wrongMethod && res.status < 300 && method !== 'get') await checkReadBack(op, sent, res, body);
      }),
      { numRuns: 250 },
    );
  });

  it('write routes, with bodies of the real field names and wrong values: 2xx read back, or a clean 4xx', async () => {
    const writes = operations.filter((op) => op.body);
    const request = fc.constantFrom(...writes).chain((op) =>
      fc.record({
        op: fc.constant(op),
        body: bodyFor(op),
        slug: fc.constantFrom(...SEED_SLUGS),
        idempotencyKey: fc.option(fc.oneof(fc.string({ maxLength: 30 }), headerSafePayload()), {
          nil: undefined,
          freq: 5,
        }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async ({ op, body, slug, idempotencyKey }) => {
        await ensureSeeds();
        const id = op.pathParams.includes('id') ? await startRun() : undefined;
        const path = op.template.replace('{slug}', slug).replace('{id}', String(id));
        const headers: HeaderSet = { 'content-type': 'application/json' };
        if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
        const sent: Sent = { method: op.method, path, headers, body: serialize(body) ?? 'null' };
        const res = await exchange(sent);
        if (res.status >= 400 && res.status !== 404 && res.status !== 409) {
          if (![400, 413, 422].includes(res.status)) throw new Error(`unexpected ${describeSent(sent, res)}`);
        }
        if (res.status < 300) await checkReadBack(op, sent, res, body);
      }),
      { numRuns: 150 },
    );
  });

  it('a body that is not JSON, sent as application/json, is a 400 problem and writes nothing', async () => {
    const writes = operations.filter((op) => op.body);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...writes),
        malformedJson(),
        fc.constantFrom('application/json', 'application/json; charset=utf-8'),
        async (op, text, contentType) => {
          const path = op.template.replace('{slug}', 'fuzz-alpha').replace('{id}', '1');
          const sent: Sent = { method: op.method, path, headers: { 'content-type': contentType }, body: text };
          const res = await exchange(sent);
          expect({ status: res.status, sent: text }).toEqual({ status: 400, sent: text });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a body of another content type is a 415 problem and writes nothing', async () => {
    const writes = operations.filter((op) => op.body);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...writes),
        fc.constantFrom(
          'text/plain',
          'text/plain; charset=utf-8',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=fuzz',
          'application/xml',
          'garbage',
        ),
        fc.oneof(fc.constant('{"slug":"fuzz-415","title":"t","kind":"k","mode":"m"}'), anyString()),
        async (op, contentType, text) => {
          const path = op.template.replace('{slug}', 'fuzz-alpha').replace('{id}', '1');
          const sent: Sent = { method: op.method, path, headers: { 'content-type': contentType }, body: text };
          const res = await exchange(sent);
          expect({ status: res.status, contentType }).toEqual({ status: 415, contentType });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('SQL and hostile text in every string field of every body: rejected (4xx) or stored verbatim, never run', async () => {
    const targets = operations.flatMap((op) =>
      (op.body ?? []).filter((field) => field.textual).map((field) => ({ op, field })),
    );
    expect(targets.length).toBeGreaterThan(10);
    const tablesBefore = await snapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        sqlPayload(),
        fc.boolean(),
        async ({ op, field }, payload, wrapped) => {
          await ensureSeeds();
          const id = op.pathParams.includes('id') ? await startRun() : undefined;
          const path = op.template.replace('{slug}', 'fuzz-beta').replace('{id}', String(id));
          const body = validBody(op);
          body[field.name] = field.isArray ? [payload] : wrapped ? `pre ${payload} post` : payload;
          const sent: Sent = {
            method: op.method,
            path,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          };
          const res = await exchange(sent);
          if (res.status < 300) await checkReadBack(op, sent, res, body);
          const after = await snapshot();
          expect(after.tables).toEqual(tablesBefore.tables);
        },
      ),
      { numRuns: 150 },
    );
    const counts: { n: number }[] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM capsules WHERE slug = ANY($1)`,
      [SEED_SLUGS],
    );
    expect(counts[0].n).toBe(SEED_SLUGS.length);
  });

  it('SQL and hostile text in every query and path parameter: a clean answer, tables and rows intact', async () => {
    const reads = operations.filter((op) => op.method === 'get' && (op.queryParams.length || op.pathParams.length));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...reads), sqlPayload(), fc.nat(), async (op, payload, pick) => {
        const before = await snapshot();
        const encoded = encodeURIComponent(toWellFormed(payload));
        const names = [...op.queryParams.map((p) => p.name), ...op.pathParams];
        const target = names[pick % names.length];
        let path = op.template;
        for (const param of op.pathParams)
          path = path.replace(`{${param}}`, param === target ? encoded : param === 'id' ? '1' : 'fuzz-alpha');
        if (op.queryParams.some((p) => p.name === target)) path += `?${encodeURIComponent(target)}=${encoded}`;
        const sent: Sent = { method: 'get', path, headers: {} };
        const res = await exchange(sent);
        expect([200, 400, 404, 409, 422]).toContain(res.status);
        expect(await snapshot()).toEqual(before);
      }),
      { numRuns: 80 },
    );
  });

  it('bad credentials on a secured route: 400 or 401 problem, never a 5xx, nothing written', async () => {
    const secured = operations.filter((op) => op.secured);
    expect(secured.length).toBeGreaterThan(5);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...secured),
        badCredentials(),
        fc.constantFrom(...SEED_SLUGS),
        async (op, credentials, slug) => {
          const path = op.template.replace('{slug}', slug).replace('{id}', '1');
          const body = op.body ? JSON.stringify(validBody(op)) : undefined;
          const headers: HeaderSet = { ...credentials, ...(body ? { 'content-type': 'application/json' } : {}) };
          const sent: Sent = { method: op.method, path, headers, body };
          const res = await exchange(sent);
          if (res.status !== 400 && res.status !== 401)
            throw new Error(`credentials let through: ${describeSent(sent, res)}`);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('X-Request-Id is echoed when well formed, else replaced by a fresh uuid, on every answer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...operations.filter((op) => op.method === 'get')),
        fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), fc.string({ maxLength: 140 })),
        async (op, id) => {
          const path = op.template.replace('{slug}', 'fuzz-alpha').replace('{id}', 'x');
          await exchange({ method: 'get', path, headers: { 'x-request-id': id } });
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** The URL as sent and as decoded, piece by piece (one malformed escape spoils no other piece). */
function safeDecode(url: string): string {
  const pieces = url.split(/([/?&=])/).map((piece) => {
    try {
      return decodeURIComponent(piece);
    } catch {
      return piece;
    }
  });
  return `${url}\n${pieces.join('')}`;
}
