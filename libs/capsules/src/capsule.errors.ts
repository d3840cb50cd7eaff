import { DomainError } from '@app/common';

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
