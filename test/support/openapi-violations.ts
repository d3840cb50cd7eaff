import type { FastifyInstance } from 'fastify';
import type { Response } from 'superagent';
import type { Test } from 'supertest';
import { committedOpenApiDocument, OpenApiResponseValidator } from './openapi-response-validator';

/** Thrown into the test whose request got an answer the committed openapi.json does not document. */
export class OpenApiViolationError extends Error {
  constructor(violations: string[]) {
    super(
      `The answer does not match the committed openapi.json (fix the decorators and run \`npm run openapi\`, ` +
        `or the behaviour):\n${violations.join('\n')}`,
    );
    this.name = 'OpenApiViolationError';
  }
}

let sharedValidator: OpenApiResponseValidator | undefined;

/** Every open store of this test file; the afterEach of openapi-check.setup.ts sweeps what no request claimed. */
const stores = new Set<ResponseViolations>();

/**
 * Checks every answer of one test app against the committed openapi.json (a
 * Fastify onSend hook, so it sees the exact status, content type and
 * serialized body the server sends, and the route template it matched).
 * Violations wait, by request id, for the supertest request that got the
 * answer (`attach`), which then fails; any left unclaimed (a request made
 * another way, an answer the client stopped waiting for) fails the test in
 * the afterEach of openapi-check.setup.ts.
 */
export class ResponseViolations {
  private readonly pending = new Map<string, string[]>();

  constructor(
    private readonly validator = (sharedValidator ??= new OpenApiResponseValidator(committedOpenApiDocument())),
  ) {
    stores.add(this);
  }

  /** Adds the onSend hook (before the app is ready, so it covers every route). */
  hook(fastify: FastifyInstance): void {
    fastify.addHook('onSend', (request, reply, payload, done) => {
      try {
        const header = reply.getHeader('content-type');
        const violation = this.validator.check({
          method: request.method,
          route: request.routeOptions.url,
          url: request.url,
          status: reply.statusCode,
          contentType: typeof header === 'string' ? header : undefined,
          body:
            typeof payload === 'string' || Buffer.isBuffer(payload) || payload == null ? (payload ?? undefined) : null,
        });
        if (violation) this.record(request.id, violation);
      } catch (error) {
        this.record(request.id, `${request.method} ${request.url}: the validator failed: ${String(error)}`);
      }
      done(null, payload);
    });
  }

  /** Makes a supertest request fail when its answer broke the document (after its own expectations). */
  attach(test: Test): void {
    const withAssert = test as unknown as {
      assert(error: Error | null, res: Response | undefined, fn?: (error: Error | null, res?: Response) => void): void;
    };
    const assert = withAssert.assert.bind(test);
    withAssert.assert = (resError, res, fn) =>
      assert(resError, res, (error, response) => {
        const id = res?.headers['x-request-id'];
        const found = id === undefined ? [] : this.take(id);
        let result = error;
        if (found.length > 0) {
          const violation = new OpenApiViolationError(found);
          if (error) error.message += `\n\n${violation.message}`;
          else result = violation;
        }
        fn?.call(test, result, response);
      });
  }

  /** Violations nobody claimed, removed. */
  drain(): string[] {
    const all = [...this.pending.values()].flat();
    this.pending.clear();
    return all;
  }

  close(): void {
    stores.delete(this);
  }

  private record(requestId: string, violation: string): void {
    const list = this.pending.get(requestId) ?? [];
    list.push(violation);
    this.pending.set(requestId, list);
  }

  private take(requestId: string): string[] {
    const list = this.pending.get(requestId) ?? [];
    this.pending.delete(requestId);
    return list;
  }
}

/** Violations of every open test app of this file that no request claimed (the afterEach sweep). */
export function unclaimedViolations(): string[] {
  return [...stores].flatMap((store) => store.drain());
}
