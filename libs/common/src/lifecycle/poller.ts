import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { isDatabaseUnavailable } from '../errors/database-unavailable';

/**
 * A background loop: runs `pass`, then sleeps until the instant it asks for (bounded by the
 * interval), or until `nudge()`. A pass that throws is logged (a warning while the database is
 * away, an error otherwise) and the loop goes on after the interval: it never crash-loops and
 * never takes the process down. `stop()` waits for the pass in flight.
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private again = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    /** Does one pass; returns how many ms until the next one is worth doing (null: the interval). */
    private readonly pass: () => Promise<number | null>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || !this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Pass now (or right after the pass in flight). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, Math.min(delayMs, this.intervalMs)));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.running) return;
    let next: number | null = null;
    this.running = (async () => {
      try {
        next = await this.pass();
      } catch (error) {
        const entry = { message: `${this.name} pass failed; retrying`, err: describeError(error) };
        if (isDatabaseUnavailable(error)) this.logger.warn(entry);
        else this.logger.error(entry);
      }
    })();
    await this.running;
    this.running = undefined;
    if (this.stopped) return;
    const delay = this.again ? 0 : (next ?? this.intervalMs);
    this.again = false;
    this.schedule(delay);
  }
}

/** An error for a log line: its class, code and message, without a stack. */
export function describeError(error: unknown): { type: string; code?: string; message: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { type: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message };
}

/**
 * A background worker in every replica: a Poller started with the application and stopped (its
 * pass in flight awaited) when the module is destroyed. Subclasses write `pass`.
 */
export abstract class PollingWorker implements OnApplicationBootstrap, OnModuleDestroy {
  protected readonly logger: Logger;
  protected readonly poller: Poller;

  protected constructor(name: string, intervalMs: number) {
    this.logger = new Logger(this.constructor.name);
    this.poller = new Poller(name, intervalMs, () => this.pass(), this.logger);
  }

  /** One pass; returns the ms until the next one is worth doing (null: the interval). */
  abstract pass(): Promise<number | null>;

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.poller.stop();
  }

  /**
   * `work` for each id in turn; one that throws is logged with `message` and handed to
   * `setAside` (e.g. looked at again later), and the others go on.
   */
  protected async eachApart(
    ids: readonly number[],
    message: string,
    work: (id: number) => Promise<unknown>,
    setAside: (id: number) => Promise<unknown>,
  ): Promise<void> {
    for (const id of ids) {
      try {
        await work(id);
      } catch (error) {
        this.logger.error({ message, capsule_id: id, err: describeError(error) });
        await setAside(id);
      }
    }
  }
}
