/** How long after SHUTDOWN_DRAIN_MS a close still stuck is abandoned (the process exits 1). */
export const STUCK_CLOSE_GRACE_MS = 5_000;

/**
 * The process's place in its life. After SIGTERM it is draining: readiness
 * answers 503 at once so load balancers stop sending traffic, while requests
 * are still served. As the listener closes (main.ts sets it just before
 * `app.close()`) it is closing as well: a request that still arrives, on a
 * kept-alive connection, is refused (503 problem, `Connection: close`) instead
 * of starting work the drain would cut.
 */
export class Lifecycle {
  private drainingNow = false;
  private closingNow = false;

  beginDrain(): void {
    this.drainingNow = true;
  }

  beginClose(): void {
    this.drainingNow = true;
    this.closingNow = true;
  }

  get draining(): boolean {
    return this.drainingNow;
  }

  get closing(): boolean {
    return this.closingNow;
  }
}
