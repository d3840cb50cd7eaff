import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock, PollingWorker } from '@app/common';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';

/** Capsules looked at per detector pass (the rest in the next, right after). */
const BATCH = 100;
/** The shortest sleep between passes. */
const MIN_PAUSE_MS = 20;

/**
 * The detector: in every replica, it wakes at the earliest alert_after (at most every
 * ALERTS_POLL_INTERVAL_MS), flips the capsules whose deadline passed (missed, stuck), and looks
 * again at capsules whose definition changed since (new deadlines; paused, resumed). Replicas running side by side flip
 * each capsule once: `AlertsService.detect` claims it with FOR UPDATE SKIP LOCKED and a
 * condition on its alert_after. A capsule whose pass fails is logged and looked at again a poll
 * interval later; the others go on.
 */
@Injectable()
export class AlertDetector extends PollingWorker {
  constructor(
    private readonly service: AlertsService,
    private readonly alerts: AlertsRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super('alert detector', config.alertsPollIntervalMs);
  }

  /** One pass; returns the ms until the next alert_after (the poller bounds it by the interval). */
  async pass(): Promise<number | null> {
    const now = this.clock.now();
    const due = await this.alerts.dueCapsules(now, BATCH);
    const retryAt = new Date(now.getTime() + Math.max(this.config.alertsPollIntervalMs, 1000));
    await this.eachApart(
      due,
      'alert detector: a capsule failed; looking again later',
      (id) => this.service.detect(id, now),
      (id) => this.alerts.postpone(id, retryAt),
    );
    await this.eachApart(
      await this.alerts.changedDefinitions(BATCH),
      'alert detector: a changed capsule failed; keeping its deadline until its next change or report',
      (id) => this.service.syncDefinition(id),
      (id) => this.alerts.markDefinitionSeen(id),
    );
    // A full batch: more may be due (a short pause, so rows other replicas hold cannot spin us).
    if (due.length === BATCH) return MIN_PAUSE_MS;
    const next = await this.alerts.nextAlertAfter(now);
    return next ? Math.max(MIN_PAUSE_MS, next.getTime() - this.clock.now().getTime()) : null;
  }
}
