import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, type AppConfig, BadRequestError, Clock, isLocalSetup } from '@app/common';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyScope } from './api-key-format';
import { ApiKeysService, scopeCovers } from './api-keys.service';
import { ROUTE_ACCESS, type RouteAccess } from './auth.decorators';
import { ForbiddenScopeError, TooManyRequestsError, UnauthorizedError } from './auth.errors';
import { RateLimiter } from './rate-limiter';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Every route's gate, in this order: who is calling (a key from
 * `X-API-Key` or `Authorization: Bearer`, checked even where none is needed,
 * so writes record it; a key that needs a database read is only looked up
 * after the caller's address paid a token for it), the caller's rate limit
 * (per key when the key is good, else per client address), then the scope
 * the route needs. Without
 * any key configured, only the local setup (loopback, not production) lets
 * anonymous callers through; AUTH_DISABLED lets everyone through.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly perKey: RateLimiter;
  private readonly perAddress: RateLimiter;
  private readonly anonymousAllowedWithoutKeys: boolean;

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    clock: Clock,
  ) {
    this.perKey = new RateLimiter(config.rateLimitPerKey, clock);
    this.perAddress = new RateLimiter(config.rateLimitPerIp, clock);
    this.anonymousAllowedWithoutKeys = isLocalSetup(config);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const access =
      this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS, [
        context.getHandler(),
        context.getClass(),
      ]) ?? (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write');
    if (access === 'public' || (access === 'metrics' && this.config.metricsPublic)) return true;
    const needed: ApiKeyScope = access === 'metrics' ? 'read' : access;

    const presented = presentedKey(request);
    // A key the cache does not know costs a database read: the caller's address pays for it up
    // front (taken, not peeked, so parallel requests cannot all pass the check before one pays),
    // and gets the token back if the key turns out good (then the key's own budget counts).
    let addressCharged = false;
    const principal =
      presented === undefined
        ? undefined
        : await this.keys.authenticate(presented, () => {
            const early = this.perAddress.take(request.ip);
            if (early > 0) throw new TooManyRequestsError('address', early);
            addressCharged = true;
          });
    if (principal && addressCharged) this.perAddress.refund(request.ip);
    const wait = principal ? this.perKey.take(principal.name) : addressCharged ? 0 : this.perAddress.take(request.ip);
    if (wait > 0) throw new TooManyRequestsError(principal ? 'key' : 'address', wait);
    if (presented !== undefined && !principal) {
      throw new UnauthorizedError('The API key is not valid (unknown or revoked)', 'API_KEY_INVALID');
    }
    if (principal) {
      if (!scopeCovers(principal.scope, needed)) throw new ForbiddenScopeError(principal.name, principal.scope, needed);
      request.principal = principal;
      return true;
    }
    if (this.config.authDisabled) return true;
    if (this.anonymousAllowedWithoutKeys && !(await this.keys.anyKeys())) return true;
    throw new UnauthorizedError(
      `This route needs an API key with the "${needed}" scope: send "Authorization: Bearer <key>" or "X-API-Key: <key>"`,
      'API_KEY_REQUIRED',
    );
  }
}

/**
 * The key a request carries, if any: `X-API-Key` first (explicit, and the only place left for
 * the key when a platform's own token occupies `Authorization`, e.g. Cloud Run's IAM check),
 * else `Authorization: Bearer`; a malformed Authorization header is then a 400.
 */
function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  const authorization = request.headers.authorization;
  if (authorization === undefined) return undefined;
  const match = BEARER.exec(authorization);
  if (!match) throw new BadRequestError('The Authorization header must read "Bearer <key>"', 'BAD_AUTHORIZATION');
  return match[1];
}
