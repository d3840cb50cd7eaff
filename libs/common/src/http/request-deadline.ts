import type { FastifyReply, FastifyRequest } from 'fastify';
import { problemType } from './problem-details';
import { sendProblem } from './send-problem';

/**
 * Answers 503 `REQUEST_TIMEOUT` when a request is still unanswered `ms`
 * after it arrived, so no caller waits without bound. Database statements
 * have their own, shorter timeout (DB_STATEMENT_TIMEOUT_MS, a config rule),
 * which cancels the work itself: this is the last resort, and the handler may
 * still finish its work after the answer (retry writes with a run_key). A
 * plain timer per request (set in onRequest, cleared in onResponse) costs far
 * less than an interceptor around every handler.
 */
export function startDeadline(request: FastifyRequest, reply: FastifyReply, ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    if (reply.sent || request.raw.destroyed) return;
    void reply.header('retry-after', '5');
    sendProblem(request, reply, {
      type: problemType('REQUEST_TIMEOUT'),
      title: 'Service Unavailable',
      status: 503,
      detail: `The request took longer than ${ms} ms`,
      code: 'REQUEST_TIMEOUT',
    });
  }, ms);
  timer.unref();
  return timer;
}
