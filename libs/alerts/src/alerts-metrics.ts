import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { Database, sql } from '@app/database';
import { UNHEALTHY_AFTER_FAILURES } from './dto/channel.dto';

export interface AlertsSnapshot {
  flipsByReason: { reason: string; n: number }[];
  notifications: { channel_type: string; status: string; n: number }[];
  /** Seconds since the oldest alert_after that passed without a detector pass (0: none). */
  detectorLagSeconds: number;
  channels: { name: string; type: string; healthy: boolean }[];
}

/** What /metrics shows of alerts, read from the database at scrape time (the same in every replica). */
@Injectable()
export class AlertsMetrics {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async snapshot(): Promise<AlertsSnapshot> {
    const now = this.clock.now();
    const [flipsByReason, notifications, lag, channels] = await Promise.all([
      this.db.rows<{ reason: string; n: number }>(
        sql`SELECT reason, count(*)::int AS n FROM capsule_flips GROUP BY reason`,
      ),
      this.db.rows<{ channel_type: string; status: string; n: number }>(
        sql`SELECT ch.type AS channel_type, n.status, count(*)::int AS n
            FROM notifications n JOIN alert_channels ch ON ch.id = n.channel_id GROUP BY 1, 2`,
      ),
      this.db.first<{ oldest: Date | null }>(
        sql`SELECT min(alert_after) AS oldest FROM capsule_alerts WHERE alert_after <= ${now}`,
      ),
      this.db.rows<{ name: string; type: string; healthy: boolean }>(
        sql`SELECT name, type, consecutive_failures < ${UNHEALTHY_AFTER_FAILURES} AS healthy FROM alert_channels`,
      ),
    ]);
    const oldest = lag?.oldest;
    return {
      flipsByReason,
      notifications,
      detectorLagSeconds: oldest ? (now.getTime() - oldest.getTime()) / 1000 : 0,
      channels,
    };
  }
}
