import { type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable, throwError, timeout, TimeoutError } from 'rxjs';
import { ServiceUnavailableError } from '../errors/domain-error';

/**
 * Answers 503 when a handler runs longer than REQUEST_TIMEOUT_MS, so no caller
 * waits without bound. Database statements have their own, shorter timeout
 * (DB_STATEMENT_TIMEOUT_MS), which cancels the work itself.
 */
export class RequestTimeoutInterceptor implements NestInterceptor {
  constructor(private readonly ms: number) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      timeout(this.ms),
      catchError((error: unknown) =>
        throwError(() =>
          error instanceof TimeoutError
            ? new ServiceUnavailableError(`The request took longer than ${this.ms} ms`, 'REQUEST_TIMEOUT')
            : error,
        ),
      ),
    );
  }
}
