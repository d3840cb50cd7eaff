import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock, PollingWorker } from '@app/common';
import { windowBaseInstants, WindowBasesRepository } from './window-bases.repository';

/** Capsules given their bases per transaction (their all-time rows stay locked meanwhile). */
const BATCH = 50;
/** The shortest sleep between passes while capsules wait for bases. */
const MIN_PAUSE_MS = 20;
const HOUR_MS = 3_600_000;

/**
 * The window-base keeper (ADR 16): in every replica, it gives each capsule with runs the bases
 * its windows start at, and drops those no window reads any more; writers keep them true
 * (a trigger). Without it, windows are still exact, summed from their rollup rows (slower).
 * Replicas side by side: the second waits on the locks, then finds the bases there.
 */
@Injectable()
export class WindowBaseKeeper extends PollingWorker {
  constructor(
    private readonly bases: WindowBasesRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super('window-base keeper', config.windowBasesPollIntervalMs);
  }

  /** One pass: bases for up to BATCH capsules that lack one; then the ms until the next hour. */
  async pass(): Promise<number | null> {
    const now = this.clock.now();
    const instants = windowBaseInstants(now);
    const ids = await this.bases.lacking(instants, BATCH);
    if (ids.length > 0) await this.bases.give(ids, instants);
    if (ids.length === BATCH) return MIN_PAUSE_MS;
    return Math.floor(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS + 1000 - this.clock.now().getTime();
  }
}
