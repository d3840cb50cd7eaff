import { DomainError } from '@app/common';

export class RunNotFoundError extends DomainError {
  readonly code = 'RUN_NOT_FOUND';
  readonly status = 404;
  readonly title = 'Not Found';

  constructor(id: string) {
    super(`Run ${id} not found`);
  }
}

/** The same run_key was reported with another capsule or payload. */
export class RunKeyConflictError extends DomainError {
  readonly code = 'RUN_KEY_CONFLICT';
  readonly status = 409;
  readonly title = 'Conflict';

  constructor(runKey: string, existingRunId: number) {
    super(`run_key "${runKey}" was already used by run ${existingRunId} with another capsule or payload`);
    this.extensions.run_id = existingRunId;
  }
}

/** A finished run cannot be finished again with another outcome. */
export class RunAlreadyFinishedError extends DomainError {
  readonly code = 'RUN_ALREADY_FINISHED';
  readonly status = 409;
  readonly title = 'Conflict';

  constructor(id: number, status: string) {
    super(`Run ${id} already finished with status ${status}; a finished run cannot change its outcome`);
    this.extensions.run_status = status;
  }
}

export class ArtifactNotFoundError extends DomainError {
  readonly code = 'ARTIFACT_NOT_FOUND';
  readonly status = 404;
  readonly title = 'Not Found';

  constructor(slug: string) {
    super(`No run of capsule ${slug} has recorded an artifact`);
  }
}
