import { ApiProperty, PickType } from '@nestjs/swagger';
import { CapsuleResponseDto } from '@app/capsules';
import { type ScheduledCapsule, ScheduleStateProperty, type ScheduleState } from '@app/schedules';

export class ScheduledEntryDto extends PickType(CapsuleResponseDto, [
  'slug',
  'title',
  'kind',
  'timezone',
  'entrypoint',
] as const) {
  @ApiProperty({ example: '0 6 * * *', description: 'Always set: only capsules with a schedule are listed' })
  schedule!: string;

  @ApiProperty({
    example: '2026-11-25T11:00:00.000Z',
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Next fire time after now, computed from the cron expression in the capsule time zone',
  })
  next_run!: string | null;

  @ApiProperty({ example: '2026-11-24T11:00:02.000Z', format: 'date-time', nullable: true, type: String })
  last_run!: string | null;

  @ApiProperty({ example: 1, description: 'Runs started since the start of the current day in the capsule time zone' })
  runs_today!: number;

  @ScheduleStateProperty()
  state!: ScheduleState;

  static fromScheduled(
    this: void,
    { capsule, state, nextRun, lastRun, runsToday }: ScheduledCapsule,
  ): ScheduledEntryDto {
    return {
      slug: capsule.slug,
      title: capsule.title,
      kind: capsule.kind,
      schedule: capsule.schedule,
      timezone: capsule.timezone,
      entrypoint: capsule.entrypoint,
      next_run: nextRun?.toISOString() ?? null,
      last_run: lastRun?.toISOString() ?? null,
      runs_today: runsToday,
      state,
    };
  }
}
