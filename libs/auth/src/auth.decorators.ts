import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyScope } from './api-key-format';

/**
 * What a route needs: a scope, `public` (probes), or `metrics` (public when
 * METRICS_PUBLIC is set, else a read key). Routes without it need `read` for
 * GET and HEAD and `write` for anything else.
 */
export type RouteAccess = ApiKeyScope | 'public' | 'metrics';
export const ROUTE_ACCESS = 'capsules:route-access';

export const RequireScope = (scope: ApiKeyScope) => SetMetadata(ROUTE_ACCESS, scope);
export const Public = () => SetMetadata(ROUTE_ACCESS, 'public' satisfies RouteAccess);
export const MetricsAccess = () => SetMetadata(ROUTE_ACCESS, 'metrics' satisfies RouteAccess);

/** The name of the API key that made the request (undefined without one): the `changed_by` of writes. */
export const ApiKeyName = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined =>
    context.switchToHttp().getRequest<FastifyRequest>().principal?.name,
);

/**
 * OpenAPI: the route takes a key (either header). Its error answers (400 for a malformed
 * Authorization header, 401, 403, 429, 503) are added to every keyed operation by
 * documentCommonProblems (apps/api/src/openapi-problems.ts), examples included.
 */
export const ApiKeyAuth = () => applyDecorators(ApiBearerAuth(BEARER_SCHEME), ApiSecurity(API_KEY_HEADER_SCHEME));

/** Names of the two security schemes in the OpenAPI document. */
export const BEARER_SCHEME = 'bearer';
export const API_KEY_HEADER_SCHEME = 'api-key';
