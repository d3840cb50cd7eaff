import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServiceUnavailableError } from '../errors/domain-error';
import { domainProblem, sendProblem } from './send-problem';

interface Open {
  request: FastifyRequest;
  reply: FastifyReply;
  due: number;
}

/**
 * Answers 503 `REQUEST_TIMEOUT` when a request is still unanswered `ms`
 * after it arrived (checked every `ms / 10`, at most every second), so no
 * caller waits without bound. Database statements have their own, shorter
 * timeout (DB_STATEMENT_TIMEOUT_MS, a config rule), which cancels the work
 * itself: this is the last resort, and the handler may still finish its work
 * after the answer (retry writes with a run_key).
 *
 * One sweeping interval over the open requests rather than a timer per
 * request: measured, a 30 s timer per request stretched the latency tail of
 * a loaded service (p99 1.4 s → 5-8 s) for no gain.
 */
export class RequestDeadlines {
  private readonly open = new Set<Open>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly ms: number) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(10, Math.floor(ms / 10))));
    this.sweeper.unref();
  }

  /** Called as a request arrives; the returned handle goes to `settle` when it is answered. */
  start(request: FastifyRequest, reply: FastifyReply): Open {
    const entry = { request, reply, due: Date.now() + this.ms };
    this.open.add(entry);
    return entry;
  }

  settle(entry: Open | null): void {
    if (entry) this.open.delete(entry);
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.open.clear();
  }

  private sweep(): void {
    const now = Date.now();
    for (const entry of this.open) {
      if (entry.due > now) continue;
      this.open.delete(entry);
      const { request, reply } = entry;
      // The response, not the request: a request whose body has been read is already `destroyed`.
      if (reply.sent || reply.raw.destroyed) continue;
      const timedOut = new ServiceUnavailableError(`The request took longer than ${this.ms} ms`, 'REQUEST_TIMEOUT');
      sendProblem(request, reply, domainProblem(timedOut, reply));
    }
  }
}
