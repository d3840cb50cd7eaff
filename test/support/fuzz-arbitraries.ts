import fc from 'fast-check';

/**
 * Generators for the HTTP fuzz tests (test/e2e/fuzz.e2e-spec.ts), and the
 * reading of the routes and their inputs from the app's own OpenAPI document,
 * so that a new route is fuzzed without touching the tests.
 */

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export const METHODS: readonly Method[] = ['get', 'post', 'put', 'patch', 'delete'];

export interface BodyField {
  name: string;
  required: boolean;
  /** A string field (or a list of strings): SQL payloads go in there. */
  textual: boolean;
  isArray: boolean;
  format?: string;
  example?: unknown;
}

export interface Operation {
  method: Method;
  /** OpenAPI path template, e.g. /api/capsules/{slug}. */
  template: string;
  pathParams: string[];
  queryParams: { name: string; textual: boolean; enum?: unknown[] }[];
  /** Undefined when the operation takes no JSON body. */
  body?: BodyField[];
  /** Needs an API key (anonymous callers pass only in the local open mode). */
  secured: boolean;
}

interface SchemaObject {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  allOf?: SchemaObject[];
}

interface OpenApiDocument {
  paths: Record<string, Partial<Record<Method, OperationObject>>>;
  components?: { schemas?: Record<string, SchemaObject> };
  security?: unknown[];
}

interface OperationObject {
  parameters?: { name: string; in: string; schema?: SchemaObject }[];
  requestBody?: { content?: Record<string, { schema?: SchemaObject }> };
  security?: unknown[];
}

/** Every operation of an OpenAPI document, with its path, query and body inputs. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  const resolve = (schema: SchemaObject | undefined): SchemaObject => {
    if (!schema) return {};
    if (schema.$ref) return resolve(document.components?.schemas?.[schema.$ref.split('/').pop()!]);
    if (schema.allOf) {
      const parts = schema.allOf.map(resolve);
      return {
        type: 'object',
        properties: Object.assign({}, ...parts.map((p) => p.properties ?? {}), schema.properties ?? {}),
        required: parts.flatMap((p) => p.required ?? []).concat(schema.required ?? []),
      };
    }
    return schema;
  };
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const parameters = op.parameters ?? [];
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      let body: BodyField[] | undefined;
      if (bodySchema) {
        const schema = resolve(bodySchema);
        body = Object.entries(schema.properties ?? {}).map(([name, raw]) => {
          const field = resolve(raw);
          const isArray = field.type === 'array';
          const element = isArray ? resolve(field.items) : field;
          return {
            name,
            required: (schema.required ?? []).includes(name),
            textual: element.type === 'string',
            isArray,
            format: element.format,
            example: field.example ?? raw.example,
          };
        });
      }
      operations.push({
        method,
        template,
        pathParams: [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
        queryParams: parameters
          .filter((p) => p.in === 'query')
          .map((p) => {
            const schema = resolve(p.schema);
            const element = schema.type === 'array' ? resolve(schema.items) : schema;
            return { name: p.name, textual: element.type === 'string', enum: element.enum };
          }),
        body,
        secured: (op.security ?? document.security ?? []).length > 0,
      });
    }
  }
  return operations;
}

/** SQL injection payloads, NUL bytes and other hostile text: each must be rejected or stored verbatim. */
export const SQL_PAYLOADS: readonly string[] = [
  "'; DROP TABLE capsules; --",
  '" OR 1=1 --',
  "' OR '1'='1",
  '$$; DELETE FROM capsule_runs; $$',
  "\\'); TRUNCATE api_keys; --",
  "1'; UPDATE capsules SET title = 'pwned'; --",
  "x' UNION SELECT slug, title FROM capsules --",
  "'; INSERT INTO api_keys (id) VALUES ('x'); --",
  "'; SELECT pg_sleep(0); --",
  '$1; DROP TABLE capsule_versions; --',
  "E'\\x00'",
  'nul\u0000byte',
  '\u0000',
  'tab\there',
  'line\nbreak; DROP TABLE capsules',
  '🚀 \u202e\u0301 ünïcödé 𝔘',
  '\ud800',
  '%00%27%3B',
  "%' OR 'a' LIKE '%",
  '\\',
  "'",
  '"',
  '`rm -rf /`',
  '<script>alert(1)</script>',
  '{{7*7}}${7*7}',
];

export const sqlPayload = (): fc.Arbitrary<string> => fc.constantFrom(...SQL_PAYLOADS);

/** The payloads a header can carry (printable ASCII). */
export const headerSafePayload = (): fc.Arbitrary<string> =>
  fc.constantFrom(...SQL_PAYLOADS.filter((p) => /^[\x20-\x7e]*$/.test(p)));

/** Printable ASCII, the only text a header can carry as is. */
const headerText = (maxLength = 40) => fc.string({ maxLength });

/** Strings of every kind: printable, any Unicode (lone surrogates included), long, hostile. */
export const anyString = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 121, maxLength: 600 }) },
    // Just over the longest bounded field (message, 4000): long enough, and cheap to shrink.
    { weight: 1, arbitrary: fc.string({ minLength: 4001, maxLength: 4100 }) },
    { weight: 3, arbitrary: sqlPayload() },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '',
        ' ',
        '0',
        '-1',
        'true',
        'null',
        '[]',
        '{}',
        'not-a-date',
        '2026-13-45T25:61:00Z',
        '2026-02-30T00:00:00Z',
        '0000-00-00T00:00:00Z',
        '+275760-09-13T00:00:00.001Z',
        '2099-01-01T00:00:00Z',
        '1970-01-01T00:00:00Z',
        '2026-11-24',
        '0000-01-01T00:00:00Z',
        '1000-01-01',
        '9999-12-31T23:59:59.999Z',
        '2026-11-24T10:00:00+14:00',
        '2026-11-24T10:00:00.1234567Z',
        'Infinity',
        'NaN',
        '9'.repeat(40),
        'sha256:' + 'g'.repeat(64),
        'javascript:alert(1)',
        'gs://',
        '* * * * * *',
        '@reboot',
        'Mars/Olympus',
        '../../etc/passwd',
      ),
    },
  );

/** A JSON value of the wrong shape for almost any field. */
export const wrongValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: anyString() },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        null,
        true,
        false,
        0,
        -1,
        1.5,
        -0.0001,
        2_147_483_648,
        -2_147_483_649,
        Number.MAX_SAFE_INTEGER,
        1e308,
        [],
        {},
        [null],
        [1, 2],
        { $gt: '' },
      ),
    },
    { weight: 2, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.array(anyString(), { maxLength: 25 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
  );

/** Raw request bodies that are not JSON, sent as application/json: each must be a 400. */
export const malformedJson = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      '{"bad',
      '{',
      '}',
      '[',
      'nul',
      'undefined',
      "{'slug': 'x'}",
      '{"slug": "x",}',
      '{"slug": "x" "title": 1}',
      'NaN',
      '\u0000',
      '{"a": "\\u00"}',
      '{"a": 01}',
      '<capsule slug="x"/>',
      'slug=x&title=y',
      '--boundary\r\nContent-Disposition: form-data; name="slug"\r\n\r\nx\r\n--boundary--',
      '{"__proto__": {"admin": true}}',
      '{"constructor": {"prototype": {"admin": true}}}',
      '\ufeff{"slug": "x"}x',
      `{"slug": "${"'; DROP TABLE capsules; --"}`,
    ),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).filter((text) => !parsesAsJson(text)),
  );

export function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A path parameter: an existing row (resolved when the request is made) or junk, ready for the URL. */
export type PathValue = { existing: number } | { raw: string };

export const pathValue = (): fc.Arbitrary<PathValue> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.nat().map((n) => ({ existing: n })) },
    { weight: 2, arbitrary: anyString().map((s) => ({ raw: encodeURIComponent(toWellFormed(s)) })) },
    { weight: 1, arbitrary: fc.integer().map((n) => ({ raw: String(n) })) },
    {
      weight: 2,
      // Deliberately malformed or surprising, sent as is.
      arbitrary: fc
        .constantFrom(
          '..%2F',
          '..%2F..%2F..%2Fetc%2Fpasswd',
          '%2e%2e',
          '..',
          '.',
          '%',
          '%zz',
          '%C0%AF',
          '%00',
          '%FF%FE',
          '%ED%A0%80',
          'a%2Fb',
          '%20',
          '%3F',
          '%23',
          '0',
          '00',
          '-1',
          '1.5',
          '1e3',
          '0x10',
          '99999999999999999999',
          '9223372036854775808',
          'NaN',
          'null',
          'undefined',
          'run',
          'runs',
          'performance',
          'RUNS',
          'a'.repeat(121),
          'b'.repeat(2000),
        )
        .map((raw) => ({ raw })),
    },
  );

/** A query string (without "?"), built from the operation's own parameters and some others. */
export const queryString = (params: { name: string; enum?: unknown[] }[]): fc.Arbitrary<string> => {
  const names = [...params.map((p) => p.name), 'limit', 'cursor', 'order', 'sort', '__proto__', 'constructor'];
  const enums = params.flatMap((p) => (p.enum ?? []).map(String));
  const value = fc.oneof(
    { weight: 3, arbitrary: anyString() },
    { weight: 2, arbitrary: enums.length ? fc.constantFrom(...enums) : fc.constant('') },
    { weight: 1, arbitrary: fc.integer().map(String) },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => Buffer.from(s).toString('base64url')) },
    {
      weight: 1,
      arbitrary: fc
        .jsonValue({ maxDepth: 2 })
        .map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')),
    },
  );
  const pair = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 10 })), value)
        .map(([k, v]) => `${encodeURIComponent(toWellFormed(k))}=${encodeURIComponent(toWellFormed(v))}`),
    },
    {
      weight: 1,
      // Malformed on purpose: bad percent escapes, bracket syntax, stray separators.
      arbitrary: fc.constantFrom(
        '%',
        'limit=%zz',
        'kind=%E0%A4%A',
        'a[b]=c',
        'status[]=error',
        'limit[0]=1',
        '=x',
        '&&',
        'limit=1&limit=2',
        'cursor=a&cursor=b',
        'kind=a=b',
        'kind=%00',
        'window',
      ),
    },
  );
  return fc.array(pair, { maxLength: 5 }).map((pairs) => pairs.join('&'));
};

export interface HeaderSet {
  'content-type'?: string;
  accept?: string;
  'x-request-id'?: string;
  'idempotency-key'?: string;
  authorization?: string;
  'x-api-key'?: string;
}

const contentType = () =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        'text/plain',
        'text/plain; charset=utf-8',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=----fuzz',
        'application/xml',
        'application/problem+json',
        'application/merge-patch+json',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'application/jsonx',
        '*/*',
        'garbage',
        ';;;',
      ),
    },
    { weight: 1, arbitrary: headerText() },
  );

/** X-Request-Id values: some the service must echo, some it must replace. */
const requestId = () =>
  fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/),
    fc.string({ minLength: 129, maxLength: 200, unit: fc.constantFrom('a', '1', '-') }),
    headerText(),
    fc.constantFrom('', ' ', 'a b', "'; DROP TABLE capsules; --", '../x', 'id\\x'),
  );

/** Headers a client may send, without credentials. */
export const headerSet = (): fc.Arbitrary<HeaderSet> =>
  fc.record(
    {
      'content-type': contentType(),
      accept: fc.oneof(
        fc.constantFrom('application/json', 'application/problem+json', 'text/html', '*/*', 'application/xml', ''),
        headerText(),
      ),
      'x-request-id': requestId(),
      'idempotency-key': fc.oneof(headerText(201), fc.string({ minLength: 201, maxLength: 260 }), headerSafePayload()),
    },
    { requiredKeys: [] },
  );

/** Credentials that are not valid keys: malformed Authorization headers and unknown keys. */
export const badCredentials = (): fc.Arbitrary<HeaderSet> =>
  fc.oneof(
    fc.record({
      authorization: fc.oneof(
        headerText().map((s) => s.trim() || 'x'),
        headerText().map((s) => `Bearer ${s}`),
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          'Basic YWRtaW46YWRtaW4=',
          'bearer cap_aaaaaaaaaaaa_' + 'A'.repeat(43),
          'Bearer cap_000000000000_' + '-'.repeat(43),
          "Bearer '; DROP TABLE api_keys; --",
          'Bearer a b',
          'Token abc',
        ),
      ),
    }),
    fc.record({
      'x-api-key': fc.oneof(
        headerText().filter((s) => s.trim() !== ''),
        fc.constantFrom('cap_aaaaaaaaaaaa_' + 'A'.repeat(43), "' OR 1=1 --", 'cap_x', 'null'),
      ),
    }),
  );

/** Replaces lone surrogates (encodeURIComponent throws on them). */
export function toWellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
