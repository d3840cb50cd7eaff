import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiSecurity,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type ApiKeyScope, ProblemDetailsDto } from '@app/common';
import type { FastifyRequest } from 'fastify';

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

/** OpenAPI: the route takes a key (either header) and may answer 401, 403 or 429. */
export const ApiKeyAuth = () =>
  applyDecorators(
    ApiBearerAuth(BEARER_SCHEME),
    ApiSecurity(API_KEY_HEADER_SCHEME),
    ApiUnauthorizedResponse({ type: ProblemDetailsDto, description: 'No API key, or an unknown or revoked one' }),
    ApiForbiddenResponse({ type: ProblemDetailsDto, description: "The key's scope does not cover the route" }),
    ApiTooManyRequestsResponse({ type: ProblemDetailsDto, description: 'Rate limit reached; see `Retry-After`' }),
  );

/** Names of the two security schemes in the OpenAPI document. */
export const BEARER_SCHEME = 'bearer';
export const API_KEY_HEADER_SCHEME = 'api-key';
