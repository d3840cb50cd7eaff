import { ApiProperty } from '@nestjs/swagger';
import { type RecentWindow, RecentWindowField } from '@app/common';
import { ALERT_STATUSES, FLIP_REASONS } from '../alert-rules';
import type { FlipHistory, FlipEntry } from '../flips.service';

export class FlipsQueryDto {
  @RecentWindowField()
  window?: RecentWindow;
}

export class FlipDto {
  @ApiProperty({ example: 42 })
  id!: number;

  @ApiProperty({ enum: ALERT_STATUSES, example: 'up' })
  from!: string;

  @ApiProperty({ enum: ALERT_STATUSES, example: 'down' })
  to!: string;

  @ApiProperty({ enum: FLIP_REASONS, example: 'failed' })
  reason!: string;

  @ApiProperty({ example: '2026-12-02T06:00:41.000Z', format: 'date-time', description: 'When it happened (computed)' })
  at!: string;

  @ApiProperty({ example: 1312, nullable: true, type: Number, description: 'The run that caused it' })
  run_id!: number | null;

  @ApiProperty({ example: true, description: 'Whether notifications were sent (not while snoozed, paused or resumed)' })
  notified!: boolean;

  @ApiProperty({ example: 3600, description: 'Seconds in `to` until the next flip (or now)' })
  duration_seconds!: number;

  static fromEntry(entry: FlipEntry): FlipDto {
    return {
      id: Number(entry.id),
      from: entry.from_status,
      to: entry.to_status,
      reason: entry.reason,
      at: entry.at.toISOString(),
      run_id: entry.run_id === null ? null : Number(entry.run_id),
      notified: entry.notified,
      duration_seconds: entry.durationSeconds,
    };
  }
}

export class FlipHistoryDto {
  @ApiProperty({ example: 'dawn-dispatch' })
  slug!: string;

  @ApiProperty({ example: '2026-11-02T09:00:00.000Z', format: 'date-time' })
  from!: string;

  @ApiProperty({ example: '2026-12-02T09:00:00.000Z', format: 'date-time' })
  to!: string;

  @ApiProperty({ example: 5400, description: 'Seconds of the window the capsule spent down' })
  downtime_seconds!: number;

  @ApiProperty({
    type: [FlipDto],
    description: 'The flips of the window, newest first (at most 1000)',
    example: [
      {
        id: 43,
        from: 'down',
        to: 'up',
        reason: 'recovered',
        at: '2026-12-02T07:30:00.000Z',
        run_id: 1313,
        notified: true,
        duration_seconds: 5400,
      },
      {
        id: 42,
        from: 'up',
        to: 'down',
        reason: 'failed',
        at: '2026-12-02T06:00:41.000Z',
        run_id: 1312,
        notified: true,
        duration_seconds: 5359,
      },
    ],
  })
  flips!: FlipDto[];

  static fromHistory(slug: string, history: FlipHistory): FlipHistoryDto {
    return {
      slug,
      from: history.from.toISOString(),
      to: history.to.toISOString(),
      downtime_seconds: history.downtimeSeconds,
      flips: history.flips.map((f) => FlipDto.fromEntry(f)),
    };
  }
}
