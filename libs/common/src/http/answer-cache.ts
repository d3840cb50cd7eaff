import { createHash } from 'node:crypto';
import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** An answer as sent: its JSON bytes, its strong ETag, and the instant (epoch ms) time alone may change it. */
export interface VersionedAnswer {
  readonly etag: string;
  readonly body: Buffer;
  /** Epoch ms of the instant it was computed for: it is not an answer for earlier instants. */
  readonly validFrom: number;
  /** Epoch ms from which the answer may be wrong without any write; Infinity: never. */
  readonly validUntil: number;
}

const validAt = (answer: VersionedAnswer, now: Date) =>
  answer.validFrom <= now.getTime() && now.getTime() < answer.validUntil;

/** What a computation of an answer returns. */
export interface ComputedAnswer {
  value: unknown;
  /** The first instant at which time alone may change the answer, or null (never). */
  changesAt: Date | null;
}

/**
 * A strong ETag of the answer to `key` at a ledger `version`, until `validUntil`: the same for
 * every replica that computes it, different whenever a write or time may have changed it.
 */
export function answerEtag(key: string, version: string, validUntil: number): string {
  const digest = createHash('sha256').update(`${key}\n${version}\n${validUntil}`).digest('base64url');
  return `"${digest.slice(0, 27)}"`;
}

/**
 * Answers kept per request key for one ledger version (ADR 15). A read that finds the answer of
 * its version, still valid, is served without a query; concurrent reads of the same key and
 * version share one computation; a newer version replaces the entry. Bounded in bytes, oldest
 * first out.
 */
export class AnswerCache {
  private readonly entries = new Map<string, { version: string; answer: VersionedAnswer }>();
  private readonly flights = new Map<string, Promise<VersionedAnswer>>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes of JSON kept. */
  get size(): number {
    return this.bytes;
  }

  /**
   * The answer to `key` at `version`, true at `now`: kept, in flight, or computed by `compute`
   * as of `now` (it must read the database after `version` was read, so its answer is at least
   * as new).
   */
  async answer(
    key: string,
    version: string,
    now: Date,
    compute: (now: Date) => Promise<ComputedAnswer>,
  ): Promise<VersionedAnswer> {
    const kept = this.entries.get(key);
    if (kept?.version === version && validAt(kept.answer, now)) return kept.answer;
    const flightKey = `${version}\n${key}`;
    const joined = this.flights.get(flightKey);
    if (joined) {
      const answer = await joined;
      // Computed as of another instant: shared only if nothing time-bound changed in between.
      if (validAt(answer, now)) return answer;
    }
    const flight = compute(now)
      .then(({ value, changesAt }): VersionedAnswer => {
        const validUntil = changesAt?.getTime() ?? Infinity;
        const body = Buffer.from(JSON.stringify(value));
        const answer = { etag: answerEtag(key, version, validUntil), body, validFrom: now.getTime(), validUntil };
        this.keep(key, version, answer);
        return answer;
      })
      .finally(() => {
        if (this.flights.get(flightKey) === flight) this.flights.delete(flightKey);
      });
    this.flights.set(flightKey, flight);
    return flight;
  }

  private keep(key: string, version: string, answer: VersionedAnswer): void {
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.bytes -= previous.answer.body.length;
    }
    if (answer.body.length > this.maxBytes) return;
    this.entries.set(key, { version, answer });
    this.bytes += answer.body.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.answer.body.length;
    }
  }
}

/** Whether an If-None-Match header names `etag` (weak comparison, RFC 9110 §13.1.2; `*` names any). */
export function noneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || (trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed) === etag;
  });
}

/**
 * Sends a versioned answer: 304 with no body when the client holds it already (If-None-Match),
 * else its JSON. Either way with its ETag and `private, no-cache` (revalidate every time).
 */
export function sendAnswer(request: FastifyRequest, reply: FastifyReply, answer: VersionedAnswer): void {
  if (reply.sent) return; // answered already (REQUEST_TIMEOUT)
  void reply.header('etag', answer.etag).header('cache-control', 'private, no-cache');
  if (noneMatchHits(request.headers['if-none-match'], answer.etag)) {
    void reply.status(304).send();
    return;
  }
  void reply.header('content-type', 'application/json; charset=utf-8').send(answer.body);
}

const ETAG_HEADER = {
  description: 'Strong validator of this answer: send it back as If-None-Match to get 304 while nothing changed',
  schema: { type: 'string', example: '"kVQ0JYXGbLPbHhHbq7fFn4JX1Ai"' },
};

/** The response headers of a versioned answer, for its 200 response. */
export const VERSIONED_ANSWER_HEADERS = {
  ETag: ETAG_HEADER,
  'Cache-Control': { description: 'Always `private, no-cache`: revalidate every time', schema: { type: 'string' } },
};

/** Documents a conditional GET: the If-None-Match request header and the 304 answer. */
export function ApiConditionalRead(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: 'The ETag of an answer already held: 304 (no body) while it is still the answer',
    }),
    ApiResponse({
      status: 304,
      description: 'Not Modified: the answer named by If-None-Match is still the answer (no body)',
      headers: VERSIONED_ANSWER_HEADERS,
    }),
  );
}
