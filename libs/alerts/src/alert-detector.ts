import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock } from '@app/common';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { describe, Poller } from './poller';

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
export class AlertDetector implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AlertDetector');
  private readonly poller: Poller;

  constructor(
    private readonly service: AlertsService,
    private readonly alerts: AlertsRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.poller = new Poller('alert detector', config.alertsPollIntervalMs, () => this.pass(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.poller.stop();
  }

  /** One pass; returns the ms until the next alert_after (the poller bounds it by the interval). */
  async pass(): Promise<number | null> {
    const now = this.clock.now();
    const due = await this.alerts.dueCapsules(now, BATCH);
    for (const capsuleId of due) {
      try {
        await this.service.detect(capsuleId, now);
      } catch (error) {
        this.logger.error({
          message: 'alert detector: a capsule failed; looking again later',
          capsule_id: capsuleId,
          err: describe(error),
        });
        await this.alerts.postpone(
          capsuleId,
          new Date(now.getTime() + Math.max(this.config.alertsPollIntervalMs, 1000)),
        );
      }
    }
    for (const capsuleId of await this.alerts.changedDefinitions(BATCH)) {
      try {
        await this.service.syncDefinition(capsuleId);
      } catch (error) {
        this.logger.error({
          message: 'alert detector: a changed capsule failed; keeping its deadline until its next change or report',
          capsule_id: capsuleId,
          err: describe(error),
        });
        await this.alerts.markDefinitionSeen(capsuleId);
      }
    }
    // A full batch: more may be due (a short pause, so rows other replicas hold cannot spin us).
    if (due.length === BATCH) return MIN_PAUSE_MS;
    const next = await this.alerts.nextAlertAfter(now);
    return next ? Math.max(MIN_PAUSE_MS, next.getTime() - this.clock.now().getTime()) : null;
  }
}
