import { DomainError } from '@app/common';
import { BatchItemResultDto } from './dto/batch.dto';
import type { BatchItemResult } from './runs.service';

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

/** An atomic batch stored nothing: some item was refused (each item's result in `results`). */
export class BatchRejectedError extends DomainError {
  readonly code = 'BATCH_REJECTED';
  readonly status = 422;
  readonly title = 'Unprocessable Content';

  constructor(readonly results: BatchItemResult[]) {
    const refused = results.filter((result) => result.outcome === 'rejected').length;
    super(`The atomic batch stored nothing: ${refused} of ${results.length} items were refused (see results)`);
    this.extensions.errors = results.flatMap((result, index) =>
      result.outcome === 'rejected' ? [{ field: `[${index}]`, message: result.problem.message }] : [],
    );
    this.extensions.results = results.map((result, index) => BatchItemResultDto.of(result, index));
  }
}

/**
 * 500 for one item of a batch that failed on its own, written alone after its batch failed (the
 * other items were stored). The cause is logged (RunsService), never sent.
 */
export class RunNotStoredError extends DomainError {
  readonly code = 'RUN_NOT_STORED';
  readonly status = 500;
  readonly title = 'Internal Server Error';

  constructor() {
    super('This run could not be stored because of an internal error; the other items were handled');
  }
}
