/**
 * The process's place in its life: after SIGTERM it is draining, and
 * readiness answers 503 at once so load balancers stop sending traffic.
 */
export class Lifecycle {
  private drainingSince?: Date;

  beginDrain(at = new Date()): void {
    this.drainingSince ??= at;
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }
}
