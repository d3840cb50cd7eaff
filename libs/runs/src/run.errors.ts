import { DomainError } from '@app/common';

export class RunNotFoundError extends DomainError {
  readonly code = 'RUN_NOT_FOUND';
  readonly status = 404;
  readonly title = 'Not Found';

  constructor(id: number | string) {
    super(`Run ${id} not found`);
  }
}
