import type { Flip } from './alert-rules';

/** The run that caused a flip, as a notification shows it. */
export interface NotificationRun {
  id: string;
  status: string;
  exit_code: number | null;
  message: string | null;
  duration_ms: number | null;
  started_at: Date;
  completed_at: Date | null;
}

/** How much of a run's message a notification carries (its end, where errors usually are). */
export const MESSAGE_EXCERPT_CHARS = 1000;

/**
 * A notification's JSON body (the webhook's body; Slack and e-mail render it). Built once, in
 * the flip's transaction, and stored in the outbox row: every attempt sends the same bytes.
 */
export interface NotificationPayload {
  /** `capsule.down`, `capsule.up`, or `test` for a test send. */
  type: string;
  /** The flip's id: the same flip is the same event on every channel. */
  flip_id: number | null;
  capsule: { slug: string; title: string; kind: string };
  from: string;
  to: string;
  reason: string;
  /** When the change happened (computed: the deadline, the run's completion), ISO 8601 UTC. */
  at: string;
  run: {
    id: number;
    status: string;
    exit_code: number | null;
    message_excerpt: string | null;
    duration_ms: number | null;
    started_at: string;
    completed_at: string | null;
  } | null;
  next_expected_run: string | null;
  link: string | null;
}

export function buildPayload(input: {
  flipId: string | null;
  flip: Flip;
  capsule: { slug: string; title: string; kind: string };
  run: NotificationRun | null;
  nextExpected: Date | null;
  linkTemplate?: string;
  type?: string;
}): NotificationPayload {
  const { flip, capsule, run } = input;
  return {
    type: input.type ?? `capsule.${flip.to}`,
    flip_id: input.flipId === null ? null : Number(input.flipId),
    capsule: { slug: capsule.slug, title: capsule.title, kind: capsule.kind },
    from: flip.from,
    to: flip.to,
    reason: flip.reason,
    at: flip.at.toISOString(),
    run: run && {
      id: Number(run.id),
      status: run.status,
      exit_code: run.exit_code,
      message_excerpt: excerpt(run.message),
      duration_ms: run.duration_ms,
      started_at: run.started_at.toISOString(),
      completed_at: run.completed_at?.toISOString() ?? null,
    },
    next_expected_run: input.nextExpected?.toISOString() ?? null,
    link: input.linkTemplate ? input.linkTemplate.replaceAll('{slug}', encodeURIComponent(capsule.slug)) : null,
  };
}

function excerpt(message: string | null): string | null {
  if (message === null || message.length <= MESSAGE_EXCERPT_CHARS) return message;
  return `…${message.slice(-(MESSAGE_EXCERPT_CHARS - 1))}`;
}
