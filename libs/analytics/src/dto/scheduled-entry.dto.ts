import { ApiProperty } from '@nestjs/swagger';
import { ScheduleStateProperty, type ScheduleState } from '@app/capsules';

export class ScheduledEntryDto {
  @ApiProperty({ example: 'dawn-dispatch' })
  slug!: string;

  @ApiProperty({ example: 'Dawn Dispatch' })
  title!: string;

  @ApiProperty({ example: 'dispatch' })
  kind!: string;

  @ApiProperty({ example: '0 6 * * *' })
  schedule!: string;

  @ApiProperty({ example: 'America/New_York' })
  timezone!: string;

  @ApiProperty({ example: 'python -m capsules.dawn_dispatch' })
  entrypoint!: string;

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
}
