import { Injectable } from '@nestjs/common';
import type { TimeIdPosition } from '@app/common';
import { Database, sql, type Sql } from '@app/database';
import type { ChannelType, SendOutcome } from './channels/channel-sender';
import type { NotificationPayload } from './notification-payload';

/** An outbox row claimed for one attempt, with its channel. */
export interface ClaimedNotification {
  id: string;
  /** The stable id of the message (webhook-id), the same on every attempt. */
  message_id: string;
  attempts: number;
  payload: NotificationPayload;
  channel_id: number;
  channel_type: ChannelType;
  target: string;
  secret: string | null;
}

export interface NotificationRow {
  id: string;
  message_id: string;
  flip_id: string | null;
  channel_id: number;
  channel_name: string;
  channel_type: ChannelType;
  capsule_slug: string | null;
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  payload: NotificationPayload;
}

export interface AttemptRow {
  notification_id: string;
  attempt: number;
  at: Date;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
}

export interface NotificationFilter {
  capsuleSlug?: string;
  channelId?: number;
  status?: string;
  after?: TimeIdPosition;
}

/** The outbox: claims due rows (SKIP LOCKED), records each attempt, lists deliveries. */
@Injectable()
export class NotificationsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Claims up to `limit` due rows for one attempt each: their attempt count goes up and their
   * next attempt moves `leaseMs` ahead, so a replica that dies mid-delivery leaves them to be
   * claimed again then (at least once), while replicas side by side never claim the same row.
   */
  claim(limit: number, leaseMs: number): Promise<ClaimedNotification[]> {
    return this.db.rows<ClaimedNotification>(
      sql`UPDATE notifications n
          SET attempts = n.attempts + 1, next_attempt_at = now() + ${leaseMs} * interval '1 millisecond'
          FROM alert_channels ch
          WHERE n.id IN (SELECT id FROM notifications
                         WHERE status = 'pending' AND next_attempt_at <= now()
                         ORDER BY next_attempt_at LIMIT ${limit}
                         FOR UPDATE SKIP LOCKED)
            AND ch.id = n.channel_id
          RETURNING n.id, n.message_id, n.attempts, n.payload, ch.id AS channel_id, ch.type AS channel_type, ch.target, ch.secret`,
    );
  }

  /** Ms until the earliest pending row is due (0 when one is), or null when none waits. */
  async nextDueInMs(): Promise<number | null> {
    const row = await this.db.first<{ ms: number | null }>(
      sql`SELECT GREATEST(0, extract(epoch FROM min(next_attempt_at) - now()) * 1000)::float8 AS ms
          FROM notifications WHERE status = 'pending'`,
    );
    return row?.ms ?? null;
  }

  /**
   * One attempt's outcome: logged, the row delivered, failed for good, or due again after
   * `retryInMs`; the channel's health follows. Only the claim that made this attempt may settle
   * it (`attempts` still equal), so a late answer after a lease expired changes nothing.
   */
  async record(
    claimed: Pick<ClaimedNotification, 'id' | 'attempts' | 'channel_id'>,
    outcome: SendOutcome,
    latencyMs: number,
    retryInMs: number | null,
  ): Promise<void> {
    const status = outcome.delivered ? 'delivered' : retryInMs === null ? 'failed' : 'pending';
    await this.db.transaction(async (tx) => {
      await tx.rows(
        sql`INSERT INTO notification_attempts (notification_id, attempt, status_code, latency_ms, error)
            VALUES (${claimed.id}, ${claimed.attempts}, ${outcome.statusCode}, ${Math.round(latencyMs)}, ${outcome.error})
            ON CONFLICT DO NOTHING`,
      );
      await tx.rows(
        sql`UPDATE notifications SET status = ${status}, last_error = ${outcome.error},
                   delivered_at = CASE WHEN ${status} = 'delivered' THEN now() END,
                   next_attempt_at = now() + ${retryInMs ?? 0} * interval '1 millisecond'
            WHERE id = ${claimed.id} AND attempts = ${claimed.attempts} AND status = 'pending'`,
      );
      await tx.rows(
        outcome.delivered
          ? sql`UPDATE alert_channels SET consecutive_failures = 0, last_success_at = now() WHERE id = ${claimed.channel_id}`
          : sql`UPDATE alert_channels SET consecutive_failures = consecutive_failures + 1, last_failure_at = now()
                WHERE id = ${claimed.channel_id}`,
      );
    });
  }

  /**
   * An outbox row for a test send (no flip), claimed at once for its one attempt: leased like any
   * claim, so no delivery worker takes it while the request sends it. Undefined when the channel
   * is gone.
   */
  createTest(
    channelId: number,
    payload: NotificationPayload,
    leaseMs: number,
  ): Promise<ClaimedNotification | undefined> {
    return this.db.first<ClaimedNotification>(
      sql`WITH created AS (
            INSERT INTO notifications (channel_id, type, payload, attempts, next_attempt_at)
            SELECT ch.id, 'test', ${JSON.stringify(payload)}::jsonb, 1, now() + ${leaseMs} * interval '1 millisecond'
            FROM alert_channels ch WHERE ch.id = ${channelId}
            RETURNING id, message_id, attempts, payload, channel_id)
          SELECT c.id, c.message_id, c.attempts, c.payload, ch.id AS channel_id, ch.type AS channel_type, ch.target, ch.secret
          FROM created c JOIN alert_channels ch ON ch.id = c.channel_id`,
    );
  }

  /** Newest first, (created_at DESC, id DESC); one row more than `limit`. */
  list(filter: NotificationFilter, limit: number): Promise<NotificationRow[]> {
    const where: Sql[] = [];
    if (filter.capsuleSlug !== undefined) {
      where.push(sql`n.capsule_id = (SELECT id FROM capsules WHERE slug = ${filter.capsuleSlug})`);
    }
    if (filter.channelId !== undefined) where.push(sql`n.channel_id = ${filter.channelId}`);
    if (filter.status !== undefined) where.push(sql`n.status = ${filter.status}`);
    if (filter.after) {
      where.push(sql`(n.created_at, n.id) < (${filter.after.at}::timestamptz, ${filter.after.id}::bigint)`);
    }
    return this.db.rows<NotificationRow>(
      sql`SELECT n.id, n.message_id, n.flip_id, n.channel_id, ch.name AS channel_name, ch.type AS channel_type,
                 c.slug AS capsule_slug, n.type, n.status, n.attempts, n.next_attempt_at, n.last_error,
                 n.created_at, n.delivered_at, n.payload
          FROM notifications n JOIN alert_channels ch ON ch.id = n.channel_id
          LEFT JOIN capsules c ON c.id = n.capsule_id
          ${sql.where(where)}
          ORDER BY n.created_at DESC, n.id DESC LIMIT ${limit + 1}`,
    );
  }

  /** The attempts of these notifications, in order. */
  attempts(ids: string[]): Promise<AttemptRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.rows<AttemptRow>(
      sql`SELECT notification_id, attempt, at, status_code, latency_ms, error FROM notification_attempts
          WHERE notification_id = ANY (${ids}::bigint[]) ORDER BY notification_id, attempt`,
    );
  }
}
