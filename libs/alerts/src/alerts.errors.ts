import { ApiProblem, DomainError, problemExample } from '@app/common';

export class ChannelNotFoundError extends DomainError {
  readonly code = 'CHANNEL_NOT_FOUND';
  readonly status = 404;
  readonly title = 'Not Found';

  constructor(id: string) {
    super(`Channel ${id} not found`);
  }
}

export class ChannelNameTakenError extends DomainError {
  readonly code = 'CHANNEL_NAME_TAKEN';
  readonly status = 409;
  readonly title = 'Conflict';

  constructor(name: string) {
    super(`A channel named "${name}" exists already`);
  }
}

/** A capsule's notifications are not muted (GET of its snooze). */
export class NotSnoozedError extends DomainError {
  readonly code = 'NOT_SNOOZED';
  readonly status = 404;
  readonly title = 'Not Found';

  constructor(slug: string) {
    super(`Capsule ${slug} is not snoozed`);
  }
}

/** OpenAPI: the 404 of an unknown channel id. */
export const ApiChannelNotFound = (path = '/api/channels/7') =>
  ApiProblem(404, 'Unknown channel', problemExample(new ChannelNotFoundError('7'), path));
