import type { OpenAPIObject } from '@nestjs/swagger';
import { ForbiddenScopeError, TooManyRequestsError, UnauthorizedError } from '@app/auth';
import {
  addProblemResponse,
  BadRequestError,
  frameworkErrorCode,
  jsonTooDeep,
  malformedUtf8,
  plainProblem,
  problemExample,
  RequestValidationError,
  ServiceUnavailableError,
  ShuttingDownError,
} from '@app/common';

type Operation = {
  security?: unknown[];
  requestBody?: unknown;
  parameters?: { in?: string; name?: string }[];
  responses: Record<string, unknown>;
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * The error answers routes share by kind, added to every operation of that
 * kind (merged into what its decorators document), with examples built from
 * the errors that are really sent:
 * - every route: 503 SHUTTING_DOWN (a request that arrives while the process closes);
 * - routes that take a key: 400 BAD_AUTHORIZATION, 401, 403, 429 (the guard) and 503 when the
 *   database is down or the request outlives REQUEST_TIMEOUT_MS;
 * - routes with a JSON body, and DELETEs and bodiless POSTs (whose body Fastify reads too): 400 (malformed, empty,
 *   not UTF-8 or nested too deep), 413 and 415, before any route code runs;
 * - routes with path parameters: 422 for a parameter PostgreSQL cannot store (NUL, lone surrogates).
 */
export function documentCommonProblems(document: OpenAPIObject): void {
  for (const [template, item] of Object.entries(document.paths)) {
    // The examples' `instance`, as a request path: /api/capsules/dawn-dispatch, not …/{slug}.
    const path = template.replace('{slug}', 'dawn-dispatch').replace('{id}', '1234');
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const responses = operation.responses;
      const keyed = (operation.security ?? []).length > 0;
      if (keyed) {
        addProblemResponse(responses, 400, 'The Authorization header is not "Bearer <key>"', [
          problemExample(
            new BadRequestError('The Authorization header must read "Bearer <key>"', 'BAD_AUTHORIZATION'),
            path,
          ),
        ]);
        addProblemResponse(responses, 401, 'No API key, or an unknown or revoked one (see `WWW-Authenticate`)', [
          problemExample(
            new UnauthorizedError(
              'This route needs an API key with the "read" scope: send "Authorization: Bearer <key>" or "X-API-Key: <key>"',
              'API_KEY_REQUIRED',
            ),
            path,
          ),
          problemExample(
            new UnauthorizedError('The API key is not valid (unknown or revoked)', 'API_KEY_INVALID'),
            path,
          ),
        ]);
        addProblemResponse(responses, 403, "The key's scope does not cover the route (`required_scope`)", [
          problemExample(new ForbiddenScopeError('dashboard', 'read', method === 'delete' ? 'admin' : 'write'), path),
        ]);
        addProblemResponse(responses, 429, 'Rate limit reached; retry after `Retry-After` seconds (`retry_after`)', [
          problemExample(new TooManyRequestsError('key', 30), path),
        ]);
        addProblemResponse(responses, 503, 'The database is unavailable, or the request took too long; retry later', [
          problemExample(
            new ServiceUnavailableError('The database is unavailable; retry shortly', 'DATABASE_UNAVAILABLE'),
            path,
          ),
          problemExample(new ServiceUnavailableError('The request took longer than 30000 ms', 'REQUEST_TIMEOUT'), path),
        ]);
      }
      addProblemResponse(responses, 500, 'An unexpected error (logged with the request id, never described)', [
        problemExample(
          plainProblem(500, 'An unexpected error occurred; quote the request id when reporting it', {
            code: 'INTERNAL_ERROR',
          }),
          path,
        ),
      ]);
      addProblemResponse(responses, 503, 'The service is shutting down; send the request again', [
        problemExample(new ShuttingDownError(), path),
      ]);
      // Fastify reads the body of every method but GET and HEAD: a DELETE or a bodiless POST (a
      // channel's test send) takes none, but one sent is read too.
      if (operation.requestBody || method !== 'get') {
        addProblemResponse(responses, 400, 'The body is not JSON, is empty, is not UTF-8, or nests too deep', [
          problemExample(
            plainProblem(400, "Body is not valid JSON but content-type is set to 'application/json'", {
              code: frameworkErrorCode(400, 'FST_ERR_CTP_INVALID_JSON_BODY'),
            }),
            path,
          ),
          problemExample(
            plainProblem(400, "Body cannot be empty when content-type is set to 'application/json'", {
              code: frameworkErrorCode(400, 'FST_ERR_CTP_EMPTY_JSON_BODY'),
            }),
            path,
          ),
          problemExample(malformedUtf8(), path),
          problemExample(jsonTooDeep(), path),
        ]);
        addProblemResponse(responses, 413, 'The body is larger than BODY_LIMIT_BYTES', [
          problemExample(
            plainProblem(413, 'The request body is larger than the limit', { code: frameworkErrorCode(413) }),
            path,
          ),
        ]);
        addProblemResponse(responses, 415, 'The body is not application/json', [
          problemExample(
            plainProblem(415, 'Unsupported content type: send the body as application/json', {
              code: frameworkErrorCode(415),
            }),
            path,
          ),
        ]);
      }
      const pathParameter = (operation.parameters ?? []).find((parameter) => parameter.in === 'path')?.name;
      if (pathParameter) {
        addProblemResponse(responses, 422, `The ${pathParameter} holds characters that cannot be stored`, [
          problemExample(
            new RequestValidationError([
              {
                field: pathParameter,
                message: `${pathParameter} must not contain NUL characters or unpaired surrogates`,
              },
            ]),
            path,
          ),
        ]);
      }
    }
  }
}
