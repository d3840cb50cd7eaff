/**
 * The process's place in its life: after SIGTERM it is draining, and
 * readiness answers 503 at once so load balancers stop sending traffic.
 */
export class Lifecycle {
  private drainingNow = false;

  beginDrain(): void {
    this.drainingNow = true;
  }

  get draining(): boolean {
    return this.drainingNow;
  }
}
