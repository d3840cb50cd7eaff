import { DomainError } from '@app/common';

const CHALLENGE = 'Bearer realm="capsules-api"';

/** 401: no key where one is needed, or a key that is unknown or revoked. */
export class UnauthorizedError extends DomainError {
  readonly code: string;
  readonly status = 401;
  readonly title = 'Unauthorized';

  constructor(detail: string, code: 'API_KEY_REQUIRED' | 'API_KEY_INVALID') {
    super(detail);
    this.code = code;
    this.headers['www-authenticate'] = code === 'API_KEY_INVALID' ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE;
  }
}

/** 403: a valid key whose scope does not cover the route. */
export class ForbiddenScopeError extends DomainError {
  readonly code = 'INSUFFICIENT_SCOPE';
  readonly status = 403;
  readonly title = 'Forbidden';

  constructor(keyName: string, keyScope: string, needed: string) {
    super(`This route needs an API key with the "${needed}" scope; the key "${keyName}" has "${keyScope}"`);
    this.extensions.required_scope = needed;
    this.headers['www-authenticate'] = `${CHALLENGE}, error="insufficient_scope", scope="${needed}"`;
  }
}

/** 429: the caller's request budget is spent; `Retry-After` says when the next request fits. */
export class TooManyRequestsError extends DomainError {
  readonly code = 'RATE_LIMITED';
  readonly status = 429;
  readonly title = 'Too Many Requests';

  constructor(who: 'key' | 'address', retryAfterSeconds: number) {
    super(
      `Too many requests from this ${who === 'key' ? 'API key' : 'client address'}; retry after ${retryAfterSeconds} s`,
    );
    this.extensions.retry_after = retryAfterSeconds;
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}
