import { Client } from 'pg';

/** The driver's own socket (not in its types): destroying it ends the session from our side. */
interface WithSocket {
  connection?: { stream?: { destroy(error?: Error): void } };
}

/**
 * A pg Client whose every query has a client-side deadline. The server's
 * statement timeout cancels slow work; this catches what it cannot: a server,
 * session or network path that stops answering altogether (a frozen host, a
 * silently vanished peer: the kernel would retry for ~15 minutes). At the
 * deadline the socket is destroyed, so the query fails as a lost connection
 * (a 503), the client emits `error` and the pool discards it instead of
 * handing a stuck session to the next request; the pool opens a fresh one.
 */
export function clientWithQueryDeadline(deadlineMs: number): typeof Client {
  class DeadlineClient extends Client {}
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with apply(this) below
  const query = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;
  DeadlineClient.prototype.query = function (this: Client, ...args: unknown[]): unknown {
    const timer = setTimeout(() => {
      const socket = (this as unknown as WithSocket).connection?.stream;
      // ETIMEDOUT, as the kernel would say much later: the query fails as a lost connection (a 503).
      socket?.destroy(
        Object.assign(new Error(`no answer from the database within ${deadlineMs} ms`), { code: 'ETIMEDOUT' }),
      );
    }, deadlineMs);
    timer.unref();
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (...results: unknown[]) => {
        clearTimeout(timer);
        (last as (...results: unknown[]) => void)(...results);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args);
    if (result instanceof Promise) return result.finally(() => clearTimeout(timer));
    // A submittable (cursor, stream) ends by its own events: no deadline.
    clearTimeout(timer);
    return result;
  } as Client['query'];
  return DeadlineClient;
}
