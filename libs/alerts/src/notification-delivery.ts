import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, PollingWorker } from '@app/common';
import { AlertsService } from './alerts.service';
import { ChannelSender, type SendOutcome } from './channels/channel-sender';
import { type ClaimedNotification, NotificationsRepository } from './notifications.repository';

/** Rows claimed per pass (sent concurrently). */
const BATCH = 20;
/** Longest wait between two attempts. */
const MAX_BACKOFF_MS = 60 * 60 * 1000;

/**
 * The outbox worker, in every replica: claims due notifications (SKIP LOCKED), sends each on
 * its channel, logs the attempt, and settles the row: delivered, due again after an exponential
 * backoff with jitter, or failed after ALERTS_MAX_ATTEMPTS. At least once: a replica that dies
 * mid-send leaves its claim to expire and the row to be sent again, with the same message id.
 */
@Injectable()
export class NotificationDelivery extends PollingWorker {
  constructor(
    private readonly outbox: NotificationsRepository,
    private readonly sender: ChannelSender,
    alerts: AlertsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super('notification delivery', config.alertsPollIntervalMs);
    alerts.onEnqueued(() => this.poller.nudge());
  }

  /** One pass: what is due now; returns the ms until the next row is due. */
  async pass(): Promise<number | null> {
    const claimed = await this.outbox.claim(BATCH, this.leaseMs);
    await Promise.all(claimed.map((row) => this.attempt(row)));
    if (claimed.length === BATCH) return 0;
    return this.outbox.nextDueInMs();
  }

  /** How long a claim lasts: past the slowest send (the delivery timeout) with room to record it. */
  get leaseMs(): number {
    return this.config.alertsDeliveryTimeoutMs * 2 + 5_000;
  }

  /** Sends one claimed row and records the outcome; a failure schedules the next attempt. */
  async attempt(row: ClaimedNotification): Promise<SendOutcome> {
    const started = performance.now();
    const outcome = await this.sender.send(
      {
        messageId: row.message_id,
        type: row.channel_type,
        target: row.target,
        secret: row.secret,
        payload: row.payload,
      },
      new Date(),
    );
    const latencyMs = performance.now() - started;
    // A test send is one attempt; others retry until ALERTS_MAX_ATTEMPTS.
    const retryInMs =
      outcome.delivered || row.payload.type === 'test' || row.attempts >= this.config.alertsMaxAttempts
        ? null
        : this.backoff(row.attempts);
    await this.outbox.record(row, outcome, latencyMs, retryInMs);
    if (!outcome.delivered) {
      this.logger.warn({
        message: 'notification not delivered',
        notification_id: row.id,
        channel_id: row.channel_id,
        attempt: row.attempts,
        status_code: outcome.statusCode,
        error: outcome.error,
        retry_in_ms: retryInMs === null ? undefined : Math.round(retryInMs),
      });
    }
    return outcome;
  }

  /** base × 2^(attempt-1), capped at an hour, with "equal jitter" (half fixed, half random). */
  private backoff(attempt: number): number {
    const ceiling = Math.min(MAX_BACKOFF_MS, this.config.alertsRetryBaseMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}
