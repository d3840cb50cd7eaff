import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OPENAPI_FILE, serializeOpenApi } from '../../apps/api/src/openapi-file';
import { createTestApp, type TestApp } from '../support/test-app';

interface Schema {
  properties?: Record<string, Schema & { example?: unknown; $ref?: string; allOf?: unknown[] }>;
  items?: Schema;
  $ref?: string;
}

interface Operation {
  summary?: string;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

/** The spec Swagger UI shows documents every route, with schemas and examples. */
describe('OpenAPI document', () => {
  let t: TestApp;
  let spec: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

  beforeAll(async () => {
    t = await createTestApp();
    spec = (await t.http().get('/openapi.json').expect(200)).body;
  });

  afterAll(async () => {
    await t.close();
  });

  it('is what the committed openapi.json holds (run `npm run openapi` and commit after a change)', async () => {
    const served = await t.http().get('/openapi.json').expect(200);
    const committed = readFileSync(path.resolve(__dirname, '../..', OPENAPI_FILE), 'utf8');
    expect(committed).toBe(serializeOpenApi(served.body));
  });

  it('marks public routes `security: []` and key routes with both schemes', () => {
    const ops = spec.paths as unknown as Record<string, Record<string, { security?: unknown[] }>>;
    expect(ops['/health/ready'].get.security).toEqual([]);
    expect(ops['/'].get.security).toEqual([]);
    expect(ops['/api/capsules'].post.security).toEqual(expect.arrayContaining([{ bearer: [] }, { 'api-key': [] }]));
    expect(ops['/api/capsules/{slug}'].delete.security).toEqual(expect.arrayContaining([{ bearer: [] }]));
    for (const [route, item] of Object.entries(ops)) {
      for (const operation of Object.values(item)) {
        const isPublic = ['/', '/health', '/api/health', '/health/live', '/health/ready'].includes(route);
        expect([route, (operation.security ?? []).length > 0]).toEqual([route, !isPublic]);
      }
    }
  });

  it('is the same at /openapi.json and /api/openapi.json', async () => {
    const other = await t.http().get('/api/openapi.json').expect(200);
    expect(other.body).toEqual(spec);
  });

  it.each([
    ['get', '/'],
    ['get', '/health'],
    ['get', '/api/health'],
    ['get', '/health/live'],
    ['get', '/health/ready'],
    ['post', '/api/capsules'],
    ['get', '/api/capsules'],
    ['get', '/api/capsules/vocabulary'],
    ['post', '/api/capsules/run'],
    ['get', '/api/capsules/runs'],
    ['get', '/api/capsules/performance'],
    ['get', '/api/capsules/scheduled'],
    ['get', '/api/capsules/{slug}'],
    ['patch', '/api/capsules/{slug}'],
    ['delete', '/api/capsules/{slug}'],
    ['get', '/api/capsules/{slug}/versions'],
    ['get', '/api/capsules/{slug}/runs'],
    ['get', '/api/capsules/runs/{id}'],
    ['patch', '/api/capsules/runs/{id}'],
    ['get', '/api/artifacts'],
    ['get', '/api/capsules/{slug}/artifacts/latest'],
  ])('documents %s %s with a summary and a 2xx response', (method, path) => {
    const operation = spec.paths[path]?.[method];
    expect(operation).toBeDefined();
    expect(operation.summary).toEqual(expect.any(String));
    expect(Object.keys(operation.responses).some((code) => code.startsWith('2'))).toBe(true);
  });

  it('has an example for every property of every schema', () => {
    const missing: string[] = [];
    for (const [name, schema] of Object.entries(spec.components.schemas)) {
      for (const [property, definition] of Object.entries(schema.properties ?? {})) {
        const documented =
          definition.example !== undefined || definition.$ref !== undefined || definition.allOf !== undefined;
        if (!documented) missing.push(`${name}.${property}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every error answer is application/problem+json with examples of its own status, each with a code', () => {
    const wrong: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [code, response] of Object.entries(operation.responses)) {
          if (Number(code) < 400) continue;
          const problem = (response.content ?? {})['application/problem+json'] as
            { examples?: Record<string, { value: { status?: number; code?: string } }> } | undefined;
          const examples = Object.values(problem?.examples ?? {});
          const own = examples.length > 0 && examples.every((e) => e.value.status === Number(code) && !!e.value.code);
          // /health/ready's 503 is also a Terminus body (application/json); the problem one is SHUTTING_DOWN.
          if (!own) wrong.push(`${method} ${path} ${code}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('query parameters carry no example (Swagger UI "Try it out" would send it as a filter)', () => {
    const prefilled: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const parameters = (operation as { parameters?: Record<string, unknown>[] }).parameters ?? [];
        for (const parameter of parameters) {
          const schema = (parameter.schema ?? {}) as Record<string, unknown>;
          const example = 'example' in parameter || 'examples' in parameter || 'example' in schema;
          if (parameter.in === 'query' && example) prefilled.push(`${method} ${path} ${String(parameter.name)}`);
        }
      }
    }
    expect(prefilled).toEqual([]);
  });

  it('request bodies declare no defaults (a generated client would demand the field); PATCH bodies name none', () => {
    const withDefaults: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const body = (operation as { requestBody?: { content: Record<string, { schema?: Schema }> } }).requestBody;
        for (const media of Object.values(body?.content ?? {})) {
          const ref = media.schema?.$ref?.split('/').pop();
          const schema = ref ? spec.components.schemas[ref] : media.schema;
          for (const [property, definition] of Object.entries(schema?.properties ?? {})) {
            const described = (definition as { description?: string }).description ?? '';
            if ('default' in definition) withDefaults.push(`${method} ${path} ${property}: default`);
            if (method === 'patch' && /default/i.test(described)) withDefaults.push(`${method} ${path} ${property}`);
          }
        }
      }
    }
    expect(withDefaults).toEqual([]);
  });

  it('every 4xx of the API routes is a problem+json body', () => {
    for (const [path, operations] of Object.entries(spec.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const operation of Object.values(operations)) {
        for (const [code, response] of Object.entries(operation.responses)) {
          if (!code.startsWith('4')) continue;
          const schema = Object.values(response.content ?? {})[0]?.schema;
          expect(schema?.$ref).toMatch(/(ProblemDetails|ValidationProblem|BatchProblem)Dto$/);
        }
      }
    }
  });
});
