import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** The parts of an OpenAPI 3.0 document the validator reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, object> };
}

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}

/** One answer as the server sent it. */
export interface Answer {
  method: string;
  /** The route template the server matched (Fastify's, e.g. `/api/capsules/:slug`); undefined when none did. */
  route: string | undefined;
  /** The request URL (for messages). */
  url: string;
  status: number;
  contentType: string | undefined;
  /** The serialized body; undefined when there is none, null when it was streamed (not inspectable). */
  body: string | Buffer | undefined | null;
}

/**
 * Routes outside the API contract: Swagger UI's HTML and assets, and the
 * document itself (the openapi e2e test compares it with the committed file).
 * CORS preflights (`OPTIONS *`, @fastify/cors) answer for every path and are
 * the CORS protocol, not an operation.
 */
export const EXEMPT_ROUTES: readonly string[] = [
  'GET /docs',
  'GET /docs/*',
  'GET /api/docs',
  'GET /api/docs/*',
  'GET /openapi.json',
  'GET /openapi.yaml',
  'GET /api/openapi.json',
  'GET /api/openapi.yaml',
  'OPTIONS *',
];

/** The schema every answer that matched no route must satisfy (404 unknown route, 405, 400/414 malformed URL, 503). */
const UNROUTED_SCHEMA = '#/components/schemas/ProblemDetailsDto';
const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/**
 * Checks answers against an OpenAPI 3.0 document: the status is documented for
 * the operation (or `default`), the content type is a documented one, and the
 * body validates against that media type's schema (ajv, OpenAPI 3.0 dialect:
 * `nullable`, `example`, `discriminator`; formats from ajv-formats). Answers
 * that matched no route must be problem+json bodies. Returns a message per
 * violation, or undefined when the answer is as documented.
 */
export class OpenApiResponseValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(
    private readonly document: OpenApiDocument,
    private readonly exempt: readonly string[] = EXEMPT_ROUTES,
  ) {
    this.ajv = new Ajv({ strict: true, allErrors: true, discriminator: true, validateFormats: true });
    addFormats(this.ajv);
    // OpenAPI 3.0 annotations that are not JSON Schema draft-07 keywords.
    this.ajv.addVocabulary(['example', 'xml', 'externalDocs']);
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
      this.ajv.addSchema(localRefs(schema), name);
    }
  }

  check(answer: Answer): string | undefined {
    const method = answer.method.toUpperCase();
    const template = answer.route === undefined ? undefined : openApiPath(answer.route);
    if (template !== undefined && this.isExempt(method, answer.route!)) return undefined;
    const where = `${method} ${answer.url} → ${answer.status} (${template === undefined ? 'no route' : `operation ${method} ${template}`})`;
    const problems = this.problems(answer, method, template);
    return problems.length === 0 ? undefined : `${where}\n  ${problems.join('\n  ')}`;
  }

  private problems(answer: Answer, method: string, template: string | undefined): string[] {
    const mediaType = answer.contentType?.split(';')[0].trim().toLowerCase();
    let content: Record<string, { schema?: object }> | undefined;
    let pointer: string;
    if (template === undefined) {
      if (answer.status < 400) return [`an answer that matched no route must be an error, not ${answer.status}`];
      content = { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: UNROUTED_SCHEMA } } };
      pointer = 'unrouted';
    } else {
      // HEAD is GET without the body (RFC 9110): it answers as the GET operation does.
      const operationMethod = method === 'HEAD' ? 'get' : method.toLowerCase();
      const operation = this.document.paths[template]?.[operationMethod] as Operation | undefined;
      if (!operation) return [`the document has no operation ${operationMethod.toUpperCase()} ${template}`];
      const status = String(answer.status);
      const key = status in operation.responses ? status : 'default' in operation.responses ? 'default' : undefined;
      if (key === undefined) {
        return [`status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
      }
      content = operation.responses[key].content;
      pointer = `${operationMethod} ${template} ${key}`;
    }
    const hasBody =
      answer.body !== undefined &&
      !(typeof answer.body === 'string' && answer.body === '') &&
      !(Buffer.isBuffer(answer.body) && answer.body.length === 0);
    if (!content || Object.keys(content).length === 0) {
      return hasBody
        ? [`the documented answer has no body, but one was sent (${answer.contentType ?? 'no content type'})`]
        : [];
    }
    if (!hasBody) {
      return method === 'HEAD' || answer.status === 304
        ? []
        : [`a body is documented (${Object.keys(content).join(', ')}), none was sent`];
    }
    const documented = Object.keys(content).find((type) => mediaTypeMatches(type, mediaType));
    if (documented === undefined) {
      return [
        `content type ${answer.contentType ?? '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`,
      ];
    }
    const schema = content[documented].schema;
    if (!schema) return [];
    if (answer.body === null) return [`the body was streamed, so it cannot be checked against ${documented}`];
    const text = Buffer.isBuffer(answer.body) ? answer.body.toString('utf8') : answer.body!;
    let value: unknown = text;
    if (isJson(documented)) {
      try {
        value = JSON.parse(text);
      } catch {
        return [`the body is not JSON: ${text.slice(0, 200)}`];
      }
    }
    const validate = this.validator(`${pointer} ${documented}`, schema);
    if (validate(value)) return [];
    return [`the body does not match the ${documented} schema:`, ...formatErrors(validate.errors ?? [], value)];
  }

  /** What in `value` breaks the document's schema `name` (e.g. a webhook body); [] when it fits. */
  schemaProblems(name: string, value: unknown): string[] {
    const validate = this.ajv.getSchema(name);
    if (!validate) return [`the document has no schema ${name}`];
    return validate(value) ? [] : formatErrors(validate.errors ?? [], value);
  }

  private isExempt(method: string, route: string): boolean {
    return this.exempt.some((entry) => {
      const [m, pattern] = entry.split(' ');
      if (m !== method && !(m === 'GET' && method === 'HEAD')) return false;
      return pattern === route || (pattern.endsWith('/*') && route.startsWith(pattern.slice(0, -1)));
    });
  }

  private validator(key: string, schema: object): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(localRefs(schema));
      this.compiled.set(key, validate);
    }
    return validate;
  }
}

/** The committed openapi.json (the validator of the e2e tests checks every answer against it). */
export function committedOpenApiDocument(): OpenApiDocument {
  return JSON.parse(readFileSync(path.resolve(__dirname, '../../openapi.json'), 'utf8')) as OpenApiDocument;
}

/** `/api/capsules/:slug` → `/api/capsules/{slug}` */
export function openApiPath(route: string): string {
  return route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function mediaTypeMatches(documented: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  if (documented === '*/*') return true;
  if (documented.endsWith('/*')) return actual.startsWith(documented.slice(0, -1));
  return documented.toLowerCase() === actual;
}

function isJson(mediaType: string): boolean {
  return /^application\/(.+\+)?json$/.test(mediaType);
}

/**
 * A schema of the document as ajv reads it: component references as ajv ids (`#/components/schemas/Name`
 * → `Name`, each component is added under its name), and `nullable: true` beside `allOf`/`oneOf`/`anyOf`/`$ref`
 * (how @nestjs/swagger writes a nullable reference) as "null, or the rest", which is how generated clients
 * read it (ajv's own `nullable` only widens `type`).
 */
function localRefs<T>(schema: T): T {
  return JSON.parse(
    JSON.stringify(schema, (key, value: unknown) => {
      if (key === '$ref' && typeof value === 'string') return value.replace(/^#\/components\/schemas\//, '');
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
      const { nullable, ...rest } = value as Record<string, unknown>;
      if (nullable !== true || !['allOf', 'oneOf', 'anyOf', '$ref'].some((k) => k in rest)) return value;
      return { anyOf: [{ type: 'null' }, rest] };
    }),
  ) as T;
}

function formatErrors(errors: ErrorObject[], value: unknown): string[] {
  return errors.map((error) => {
    const at = error.instancePath || '(root)';
    const found = error.instancePath ? pointerValue(value, error.instancePath) : undefined;
    const shown = found === undefined ? '' : ` (found ${JSON.stringify(found)?.slice(0, 120)})`;
    return `- ${at} ${error.message ?? error.keyword} [${error.schemaPath}]${shown}`;
  });
}

function pointerValue(value: unknown, pointer: string): unknown {
  let current = value;
  for (const part of pointer.split('/').slice(1)) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}
