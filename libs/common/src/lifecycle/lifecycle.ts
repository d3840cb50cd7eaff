/**
 * The process's place in its life. After SIGTERM it is draining: readiness
 * answers 503 at once so load balancers stop sending traffic, while requests
 * are still served. Once the listener closes it is closing as well: a request
 * that still arrives on a kept-alive connection is refused (503 problem,
 * `Connection: close`) instead of starting work the drain would cut.
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
