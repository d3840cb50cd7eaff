import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDate, IsOptional } from 'class-validator';
import {
  AsInstant,
  INSTANT_DOC,
  INSTANT_FORMS,
  PageQueryDto,
  RECENT_WINDOWS,
  type RecentWindow,
  RecentWindowField,
} from '@app/common';
import { formatLocal, type LedgerEntry, SLOT_OUTCOMES, type SlotOutcome, type UptimeCounts } from '@app/schedules';

export const SLOT_PAGE = { default: 100, max: 1000 };

export class SlotsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    format: 'date-time',
    description: `Slots at or after this instant (default: 30 days before \`to\`). ${INSTANT_DOC}`,
  })
  @IsOptional()
  @AsInstant()
  @IsDate({ message: `from must be ${INSTANT_FORMS}` })
  from?: Date;

  @ApiPropertyOptional({
    format: 'date-time',
    description: `Slots before this instant (default: now; slots after now are not listed). ${INSTANT_DOC}`,
  })
  @IsOptional()
  @AsInstant()
  @IsDate({ message: `to must be ${INSTANT_FORMS}` })
  to?: Date;
}

export class UptimeQueryDto {
  @RecentWindowField()
  window?: RecentWindow;
}

class SlotRunDto {
  @ApiProperty({ example: 1312 })
  id!: number;

  @ApiProperty({ example: 'success' })
  status!: string;

  @ApiProperty({ example: '2026-12-02T06:00:41.000Z', format: 'date-time' })
  started_at!: string;
}

export class SlotEntryDto {
  @ApiProperty({
    example: '2026-12-02T06:00:00.000Z',
    format: 'date-time',
    description: 'The slot’s instant (UTC); for an extra run, its start',
  })
  at!: string;

  @ApiProperty({
    example: '2026-12-02T07:00:00+01:00',
    description: 'The same instant in the capsule’s time zone then',
  })
  local!: string;

  @ApiProperty({ enum: SLOT_OUTCOMES, example: 'on_time' })
  outcome!: SlotOutcome;

  @ApiProperty({ type: SlotRunDto, nullable: true, description: 'The run matched to the slot (or the extra run)' })
  run!: SlotRunDto | null;

  @ApiProperty({
    example: 41,
    nullable: true,
    type: Number,
    description: 'Seconds between the slot and its run’s start (0 for an early start); null without a run',
  })
  lateness_seconds!: number | null;

  static fromEntry(entry: LedgerEntry): SlotEntryDto {
    return {
      at: entry.at.toISOString(),
      local: formatLocal(entry.at, entry.timezone),
      outcome: entry.outcome,
      run: entry.run && {
        id: Number(entry.run.id),
        status: entry.run.status,
        started_at: entry.run.startedAt.toISOString(),
      },
      lateness_seconds: entry.latenessSeconds,
    };
  }
}

/** How the settled slots of a window ended (docs/slots.md). */
export class SlotCountsDto {
  @ApiProperty({ example: 30, description: 'Slots that were due and are over: on_time + late + missed' })
  expected!: number;

  @ApiProperty({ example: 27 })
  on_time!: number;

  @ApiProperty({ example: 2 })
  late!: number;

  @ApiProperty({ example: 1 })
  missed!: number;

  @ApiProperty({ example: 0, description: 'Slots while the capsule was archived' })
  paused!: number;

  @ApiProperty({
    example: 0.9,
    nullable: true,
    type: Number,
    description: 'on_time / expected, to 4 decimals (null when nothing was expected)',
  })
  on_time_ratio!: number | null;

  static of(counts: Pick<UptimeCounts, 'on_time' | 'late' | 'missed' | 'paused'>): SlotCountsDto {
    const expected = counts.on_time + counts.late + counts.missed;
    return {
      expected,
      on_time: counts.on_time,
      late: counts.late,
      missed: counts.missed,
      paused: counts.paused,
      on_time_ratio: expected === 0 ? null : Number((counts.on_time / expected).toFixed(4)),
    };
  }
}

export class UptimeDto extends SlotCountsDto {
  @ApiProperty({ example: 'dawn-dispatch' })
  slug!: string;

  @ApiProperty({ enum: Object.keys(RECENT_WINDOWS), example: '30d' })
  window!: string;

  @ApiProperty({ example: '2026-11-02T09:00:00.000Z', format: 'date-time' })
  from!: string;

  @ApiProperty({ example: '2026-12-02T09:00:00.000Z', format: 'date-time' })
  to!: string;

  @ApiProperty({ example: 0, description: 'Slots whose window is still open' })
  pending!: number;

  @ApiProperty({ example: 1, description: 'Runs that matched no slot' })
  extra!: number;

  static fromCounts(slug: string, window: RecentWindow, from: Date, to: Date, counts: UptimeCounts): UptimeDto {
    const { expected, on_time_ratio } = SlotCountsDto.of(counts);
    return {
      slug,
      window,
      from: from.toISOString(),
      to: to.toISOString(),
      expected,
      ...counts,
      on_time_ratio,
    };
  }
}
