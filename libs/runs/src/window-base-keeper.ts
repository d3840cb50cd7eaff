import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock, PollingWorker } from '@app/common';
import {
  WINDOW_BASE_LEDGERS,
  type WindowBaseLedger,
  windowBaseInstants,
  WindowBasesRepository,
} from './window-bases.repository';

/** Capsules given their bases per transaction (their all-time rows stay locked meanwhile). */
const BATCH = 50;
/** The shortest sleep between passes while capsules wait for bases. */
const MIN_PAUSE_MS = 20;
const HOUR_MS = 3_600_000;

/**
 * The window-base keeper (ADR 16): in every replica, it gives each capsule with runs the bases
 * its windows start at (for its runs and its settled slots), and drops those no window reads any more; writers keep them true
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

  /**
   * One pass: bases for up to BATCH capsules that lack one, in each ledger (runs, slots); then the
   * ms until just after the next hour.
   */
  async pass(): Promise<number | null> {
    const now = this.clock.now();
    const instants = windowBaseInstants(now);
    let more = false;
    for (const ledger of Object.keys(WINDOW_BASE_LEDGERS) as WindowBaseLedger[]) {
      const ids = await this.bases.lacking(ledger, instants, BATCH);
      if (ids.length > 0) await this.bases.give(ledger, ids, instants);
      if (ids.length === BATCH) more = true;
    }
    if (more) return MIN_PAUSE_MS;
    return Math.floor(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS + 1000 - this.clock.now().getTime();
  }
}
