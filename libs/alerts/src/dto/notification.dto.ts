import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { EmptyAsUndefined, PageQueryDto } from '@app/common';
import { ALERT_STATUSES, FLIP_REASONS } from '../alert-rules';
import { CHANNEL_TYPES, messageIdHeader } from '../channels/channel-sender';
import type { AttemptRow, NotificationRow } from '../notifications.repository';

export const NOTIFICATION_STATUSES = ['pending', 'delivered', 'failed'] as const;
export const NOTIFICATION_PAGE = { default: 100, max: 1000 };

export class ListNotificationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only this capsule’s notifications (slug)' })
  @EmptyAsUndefined()
  @IsOptional()
  @Matches(/^[a-z0-9-]{1,120}$/, { message: 'capsule_slug must be a capsule slug' })
  capsule_slug?: string;

  @ApiPropertyOptional({ description: 'Only this channel’s notifications (id)', type: 'integer', minimum: 1 })
  // An empty value is no filter; anything else is read as a number (then checked).
  @Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) =>
    obj[key] === '' || obj[key] === undefined ? undefined : Number(obj[key]),
  )
  @IsOptional()
  @IsInt({ message: 'channel_id must be a whole number' })
  @Min(1, { message: 'channel_id must be at least 1' })
  @Max(2_147_483_647, { message: 'channel_id must be at most 2147483647' })
  channel_id?: number;

  @ApiPropertyOptional({ enum: NOTIFICATION_STATUSES })
  @EmptyAsUndefined()
  @IsOptional()
  @IsIn(NOTIFICATION_STATUSES, { message: 'status must be one of pending, delivered, failed' })
  status?: (typeof NOTIFICATION_STATUSES)[number];
}

class PayloadCapsuleDto {
  @ApiProperty({ example: 'dawn-dispatch' })
  slug!: string;
  @ApiProperty({ example: 'Dawn Dispatch' })
  title!: string;
  @ApiProperty({ example: 'dispatch' })
  kind!: string;
}

class PayloadRunDto {
  @ApiProperty({ example: 1312 })
  id!: number;
  @ApiProperty({ example: 'error' })
  status!: string;
  @ApiProperty({ example: 2, nullable: true, type: Number })
  exit_code!: number | null;
  @ApiProperty({
    example: 'Traceback … ConnectionError',
    nullable: true,
    type: String,
    description: 'The last 1000 characters of the run’s message',
  })
  message_excerpt!: string | null;
  @ApiProperty({ example: 41000, nullable: true, type: Number })
  duration_ms!: number | null;
  @ApiProperty({ example: '2026-12-02T06:00:00.000Z', format: 'date-time' })
  started_at!: string;
  @ApiProperty({ example: '2026-12-02T06:00:41.000Z', format: 'date-time', nullable: true, type: String })
  completed_at!: string | null;
}

/**
 * The JSON body of a webhook notification (POSTed with the Standard Webhooks headers
 * `webhook-id`, `webhook-timestamp`, `webhook-signature`); Slack and e-mail channels render it.
 */
export class NotificationPayloadDto {
  @ApiProperty({ example: 'capsule.down', description: '`capsule.down`, `capsule.up`, or `test`' })
  type!: string;
  @ApiProperty({ example: 42, nullable: true, type: Number, description: 'The flip (the same on every channel)' })
  flip_id!: number | null;
  @ApiProperty({ type: PayloadCapsuleDto })
  capsule!: PayloadCapsuleDto;
  @ApiProperty({ enum: ALERT_STATUSES, example: 'up' })
  from!: string;
  @ApiProperty({ enum: ALERT_STATUSES, example: 'down' })
  to!: string;
  @ApiProperty({ enum: [...FLIP_REASONS, 'test'], example: 'failed' })
  reason!: string;
  @ApiProperty({
    example: '2026-12-02T06:00:41.000Z',
    format: 'date-time',
    description: 'When it happened (a deadline, a run’s completion), not when it was noticed',
  })
  at!: string;
  @ApiProperty({
    type: PayloadRunDto,
    nullable: true,
    description: 'The run that caused it (null for time-driven flips)',
  })
  run!: PayloadRunDto | null;
  @ApiProperty({ example: '2026-12-03T06:00:00.000Z', format: 'date-time', nullable: true, type: String })
  next_expected_run!: string | null;
  @ApiProperty({
    example: 'https://dash.example/capsules/dawn-dispatch',
    nullable: true,
    type: String,
    description: 'ALERTS_LINK_TEMPLATE with {slug} filled in',
  })
  link!: string | null;
}

export class AttemptDto {
  @ApiProperty({ example: 1 })
  attempt!: number;

  @ApiProperty({ example: '2026-12-02T06:00:41.210Z', format: 'date-time' })
  at!: string;

  @ApiProperty({ example: 500, nullable: true, type: Number })
  status_code!: number | null;

  @ApiProperty({ example: 84 })
  latency_ms!: number;

  @ApiProperty({ example: 'the receiver answered HTTP 500', nullable: true, type: String })
  error!: string | null;

  static fromRow(row: AttemptRow): AttemptDto {
    return {
      attempt: row.attempt,
      at: row.at.toISOString(),
      status_code: row.status_code,
      latency_ms: row.latency_ms,
      error: row.error,
    };
  }
}

export class NotificationDto {
  @ApiProperty({ example: 311 })
  id!: number;

  @ApiProperty({ example: 'msg_2b7f0d6e4c1a4b9e8f3a5d7c9e1b3a5d', description: 'The webhook-id of every attempt' })
  message_id!: string;

  @ApiProperty({ example: 'capsule.down', description: '`capsule.<state>`, or `test`' })
  type!: string;

  @ApiProperty({ example: 42, nullable: true, type: Number, description: 'The flip it tells of (null: a test)' })
  flip_id!: number | null;

  @ApiProperty({ example: 'dawn-dispatch', nullable: true, type: String })
  capsule_slug!: string | null;

  @ApiProperty({ example: 7 })
  channel_id!: number;

  @ApiProperty({ example: 'ops-webhook' })
  channel_name!: string;

  @ApiProperty({ enum: CHANNEL_TYPES, example: 'webhook' })
  channel_type!: string;

  @ApiProperty({ enum: NOTIFICATION_STATUSES, example: 'delivered' })
  status!: string;

  @ApiProperty({ example: 4 })
  attempts!: number;

  @ApiProperty({ example: '2026-12-02T06:00:41.000Z', format: 'date-time' })
  created_at!: string;

  @ApiProperty({ example: '2026-12-02T06:01:12.000Z', format: 'date-time', nullable: true, type: String })
  delivered_at!: string | null;

  @ApiProperty({
    example: '2026-12-02T06:01:12.000Z',
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Pending: when the next attempt is due',
  })
  next_attempt_at!: string | null;

  @ApiProperty({ example: null, nullable: true, type: String })
  last_error!: string | null;

  @ApiProperty({
    type: NotificationPayloadDto,
    description: 'What was (or will be) sent: the webhook body; Slack and e-mail render it',
  })
  payload!: NotificationPayloadDto;

  @ApiProperty({
    type: [AttemptDto],
    description: 'Every attempt, in order',
    example: [
      {
        attempt: 1,
        at: '2026-12-02T06:00:41.210Z',
        status_code: 500,
        latency_ms: 84,
        error: 'the receiver answered HTTP 500',
      },
      { attempt: 2, at: '2026-12-02T06:00:52.400Z', status_code: 200, latency_ms: 61, error: null },
    ],
  })
  attempt_log!: AttemptDto[];

  static fromRow(row: NotificationRow, attempts: AttemptRow[]): NotificationDto {
    return {
      id: Number(row.id),
      message_id: messageIdHeader(row.message_id),
      type: row.type,
      flip_id: row.flip_id === null ? null : Number(row.flip_id),
      capsule_slug: row.capsule_slug,
      channel_id: row.channel_id,
      channel_name: row.channel_name,
      channel_type: row.channel_type,
      status: row.status,
      attempts: row.attempts,
      created_at: row.created_at.toISOString(),
      delivered_at: row.delivered_at?.toISOString() ?? null,
      next_attempt_at: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
      last_error: row.last_error,
      payload: row.payload,
      attempt_log: attempts.map((a) => AttemptDto.fromRow(a)),
    };
  }
}
