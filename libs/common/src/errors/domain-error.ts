/**
 * A failure the client can act on. Services throw these; the problem filter
 * turns them into RFC 9457 problem+json. Services never build HTTP responses.
 */
export abstract class DomainError extends Error {
  /** Stable, machine-readable code, e.g. CAPSULE_NOT_FOUND. */
  abstract readonly code: string;
  /** HTTP status the problem filter answers with. */
  abstract readonly status: number;
  /** Short, human-readable summary of the problem type. */
  abstract readonly title: string;
  /** Extra members of the problem body (snake_case). */
  readonly extensions: Record<string, unknown> = {};
  /** Response headers that go with the problem (WWW-Authenticate, Retry-After). */
  readonly headers: Record<string, string> = {};

  constructor(detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}

export interface FieldError {
  field: string;
  message: string;
}

/** 422: the request was understood but some fields are invalid (all listed). */
export class RequestValidationError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  readonly status = 422;
  readonly title = 'Unprocessable Content';

  constructor(readonly errors: FieldError[]) {
    super(
      errors.length === 1
        ? `Invalid request: ${errors[0].message}`
        : `Invalid request: ${errors.length} fields are invalid`,
    );
  }
}

/** 400: a query parameter or cursor that cannot be read. */
export class BadRequestError extends DomainError {
  readonly code: string;
  readonly status = 400;
  readonly title = 'Bad Request';

  constructor(detail: string, code = 'BAD_REQUEST') {
    super(detail);
    this.code = code;
  }
}

/** 503: a dependency (the database) is down or too slow; try again after `retryAfterSeconds`. */
export class ServiceUnavailableError extends DomainError {
  readonly code: string;
  readonly status = 503;
  readonly title = 'Service Unavailable';

  constructor(detail: string, code = 'SERVICE_UNAVAILABLE', retryAfterSeconds = 5) {
    super(detail);
    this.code = code;
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}

/** 503 while the process shuts down: the request was not started; send it again (another instance answers). */
export class ShuttingDownError extends ServiceUnavailableError {
  constructor() {
    super('The service is shutting down; send the request again', 'SHUTTING_DOWN', 1);
    this.headers.connection = 'close';
  }
}
