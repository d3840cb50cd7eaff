import { ApiProblem, DomainError, problemExample } from '@app/common';

export class CapsuleNotFoundError extends DomainError {
  readonly code = 'CAPSULE_NOT_FOUND';
  readonly status = 404;
  readonly title = 'Not Found';

  constructor(readonly slug: string) {
    // The original service's clients read exactly this detail.
    super('Capsule not found');
    this.extensions.slug = slug;
  }
}

/** Fire times were asked of a capsule that has no schedule. */
export class CapsuleNotScheduledError extends DomainError {
  readonly code = 'CAPSULE_NOT_SCHEDULED';
  readonly status = 409;
  readonly title = 'Conflict';

  constructor(slug: string) {
    super(`Capsule ${slug} has no schedule`);
  }
}

/** OpenAPI: the 404 of an unknown slug (the original's detail, "Capsule not found"), at `path`. */
export const ApiCapsuleNotFound = (path = '/api/capsules/dawn-dispatch', description = 'Unknown slug') =>
  ApiProblem(404, description, problemExample(new CapsuleNotFoundError('dawn-dispatch'), path));
