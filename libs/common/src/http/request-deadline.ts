import type { FastifyReply, FastifyRequest } from 'fastify';
import { problemType } from './problem-details';

/**
 * Answers 503 `REQUEST_TIMEOUT` when a request is still unanswered
 * `ms` after it arrived, so no caller waits without bound. Database
 * statements have their own, shorter timeout (DB_STATEMENT_TIMEOUT_MS, a
 * config rule), which cancels the work itself: this is the last resort. A
 * plain timer per request (set in onRequest, cleared in onResponse) costs
 * far less than an interceptor around every handler.
 */
export function startDeadline(request: FastifyRequest, reply: FastifyReply, ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    if (reply.sent || request.raw.destroyed) return;
    const path = request.url.split('?')[0];
    void reply
      .code(503)
      .header('retry-after', '5')
      .header('content-type', 'application/problem+json; charset=utf-8')
      .send(
        JSON.stringify({
          type: problemType('REQUEST_TIMEOUT'),
          title: 'Service Unavailable',
          status: 503,
          detail: `The request took longer than ${ms} ms`,
          code: 'REQUEST_TIMEOUT',
          instance: path,
          request_id: request.id,
        }),
      );
  }, ms);
  timer.unref();
  return timer;
}
