import {
  type Answer,
  committedOpenApiDocument,
  type OpenApiDocument,
  OpenApiResponseValidator,
  openApiPath,
} from './openapi-response-validator';

/** A small document in the shape @nestjs/swagger writes: one operation, a component with a reference. */
const DOCUMENT: OpenApiDocument = {
  openapi: '3.0.0',
  paths: {
    '/api/things/{slug}': {
      get: {
        responses: {
          '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/ThingDto' } } } },
          '404': {
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
          },
        },
      },
      delete: { responses: { '204': { description: 'Deleted' } } },
    },
  },
  components: {
    schemas: {
      ThingDto: {
        type: 'object',
        properties: {
          slug: { type: 'string', example: 'a' },
          created_at: { type: 'string', format: 'date-time', example: '2026-11-24T06:08:31.860Z' },
          owner: { nullable: true, allOf: [{ $ref: '#/components/schemas/OwnerDto' }], type: 'object' },
        },
        required: ['slug', 'created_at', 'owner'],
      },
      OwnerDto: {
        type: 'object',
        properties: { name: { type: 'string', example: 'ops' } },
        required: ['name'],
      },
      ProblemDetailsDto: {
        type: 'object',
        properties: { status: { type: 'number' }, code: { type: 'string' } },
        required: ['status', 'code'],
      },
    },
  },
};

const thing = { slug: 'a', created_at: '2026-11-24T06:08:31.860Z', owner: { name: 'ops' } };

function answer(overrides: Partial<Answer>): Answer {
  return {
    method: 'GET',
    route: '/api/things/:slug',
    url: '/api/things/a',
    status: 200,
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify(thing),
    ...overrides,
  };
}

describe('OpenApiResponseValidator', () => {
  const validator = new OpenApiResponseValidator(DOCUMENT);

  it('accepts an answer as documented (references, nullable, formats, HEAD as GET)', () => {
    expect(validator.check(answer({}))).toBeUndefined();
    expect(validator.check(answer({ body: Buffer.from(JSON.stringify({ ...thing, owner: null })) }))).toBeUndefined();
    expect(validator.check(answer({ method: 'HEAD', body: undefined }))).toBeUndefined();
    expect(
      validator.check(answer({ method: 'DELETE', status: 204, contentType: undefined, body: '' })),
    ).toBeUndefined();
  });

  it('rejects a body that breaks the schema, naming the operation and the ajv errors', () => {
    const message = validator.check(answer({ body: JSON.stringify({ ...thing, created_at: 'yesterday', owner: {} }) }));
    expect(message).toContain('GET /api/things/a → 200 (operation GET /api/things/{slug})');
    expect(message).toContain('/created_at must match format "date-time"');
    expect(message).toContain("/owner must have required property 'name'");
  });

  it('rejects a body that is not JSON where JSON is documented', () => {
    expect(validator.check(answer({ body: '<html>' }))).toContain('the body is not JSON');
  });

  it('rejects an undocumented status', () => {
    expect(validator.check(answer({ status: 500 }))).toContain('status 500 is not documented (documented: 200, 404)');
  });

  it('rejects an undocumented content type', () => {
    const message = validator.check(
      answer({ status: 404, contentType: 'application/json', body: '{"status":404,"code":"NOT_FOUND"}' }),
    );
    expect(message).toContain('content type application/json is not documented (documented: application/problem+json)');
  });

  it('rejects a missing body, and a body where none is documented', () => {
    expect(validator.check(answer({ body: undefined }))).toContain('none was sent');
    expect(validator.check(answer({ method: 'DELETE', status: 204, body: '{}' }))).toContain('has no body');
  });

  it('rejects an operation the document does not have', () => {
    expect(validator.check(answer({ method: 'PATCH' }))).toContain(
      'the document has no operation PATCH /api/things/{slug}',
    );
  });

  it('holds an answer that matched no route to a problem+json error', () => {
    const problem = { contentType: 'application/problem+json', route: undefined, url: '/nope' };
    expect(validator.check(answer({ ...problem, status: 404, body: '{"status":404,"code":"ROUTE_NOT_FOUND"}' }))).toBe(
      undefined,
    );
    expect(validator.check(answer({ ...problem, status: 404, body: '{"status":404}' }))).toContain(
      "must have required property 'code'",
    );
    expect(validator.check(answer({ ...problem, status: 200 }))).toContain('matched no route must be an error');
  });

  it('leaves the listed routes alone (Swagger UI, the document, CORS preflights)', () => {
    const other = { contentType: 'text/html', body: '<html>', status: 200 };
    expect(validator.check(answer({ ...other, route: '/docs/*', url: '/docs/swagger-ui.css' }))).toBeUndefined();
    expect(validator.check(answer({ ...other, route: '/api/openapi.json', url: '/api/openapi.json' }))).toBeUndefined();
    expect(validator.check(answer({ ...other, method: 'OPTIONS', route: '*', status: 204, body: '' }))).toBeUndefined();
  });

  it('maps Fastify route templates to OpenAPI paths', () => {
    expect(openApiPath('/api/capsules/:slug/runs')).toBe('/api/capsules/{slug}/runs');
  });

  it('compiles every response schema of the committed openapi.json', () => {
    const document = committedOpenApiDocument();
    const strict = new OpenApiResponseValidator(document);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const responses = (operation as { responses: Record<string, unknown> }).responses;
        for (const status of Object.keys(responses)) {
          const route = path.replace(/\{([^}]+)\}/g, ':$1');
          // An empty JSON object: whatever the verdict, compiling the schema must not throw.
          expect(() =>
            strict.check({ method, route, url: path, status: Number(status), contentType: undefined, body: '{}' }),
          ).not.toThrow();
        }
      }
    }
  });
});
