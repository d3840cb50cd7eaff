import { ApiProperty } from '@nestjs/swagger';
import { SlotCountsDto } from './slots.dto';

/** The statistics of a set of runs, as every analytics answer reports them. */
export class RunMetricsDto {
  @ApiProperty({ example: 42, description: 'Every run, running ones included' })
  total_runs!: number;

  @ApiProperty({ example: 40 })
  successful_runs!: number;

  @ApiProperty({ example: 1, description: 'Runs that ended in error or timeout' })
  failed_runs!: number;

  @ApiProperty({
    example: 0.975609756097561,
    nullable: true,
    type: Number,
    description: 'successful / (successful + failed), a fraction 0-1; null when no run ended either way',
  })
  success_rate!: number | null;

  @ApiProperty({
    example: 12.5,
    nullable: true,
    type: Number,
    description: 'Mean runtime of finished runs, seconds (exact)',
  })
  avg_runtime_seconds!: number | null;

  @ApiProperty({
    example: 11.3,
    nullable: true,
    type: Number,
    description:
      'Median runtime of finished runs, seconds: nearest-rank estimate from the runtime histogram, within 9.05 %',
  })
  p50_runtime_seconds!: number | null;

  @ApiProperty({
    example: 20.4,
    nullable: true,
    type: Number,
    description: '95th percentile runtime, seconds: nearest-rank estimate from the runtime histogram, within 9.05 %',
  })
  p95_runtime_seconds!: number | null;
}

const UPTIME_DESCRIPTION =
  'The schedule’s slots whose outcome is settled, by the slot’s instant in the window (pending ones are not ' +
  'counted; a run settles its slot within one SLOTS_POLL_INTERVAL_MS). Zeros without a schedule.';

export class PerformanceEntryDto extends RunMetricsDto {
  @ApiProperty({ example: 'dawn-dispatch' })
  capsule_slug!: string;

  @ApiProperty({ example: 'Dawn Dispatch' })
  capsule_title!: string;

  @ApiProperty({ example: 'dispatch' })
  kind!: string;

  @ApiProperty({
    example: '2026-11-24T06:00:00.000Z',
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'Start of the latest run (whatever the window)',
  })
  last_run_at!: string | null;

  @ApiProperty({ example: '2026-11-24T06:00:12.500Z', nullable: true, type: String, format: 'date-time' })
  last_success_at!: string | null;

  @ApiProperty({ example: '2026-11-20T06:00:30.000Z', nullable: true, type: String, format: 'date-time' })
  last_failure_at!: string | null;

  @ApiProperty({ type: SlotCountsDto, description: UPTIME_DESCRIPTION })
  uptime!: SlotCountsDto;
}

/** group_by=kind: one entry per kind. */
export class KindPerformanceDto extends RunMetricsDto {
  @ApiProperty({ example: 'dispatch' })
  kind!: string;

  @ApiProperty({ example: 3, description: 'Capsules of this kind' })
  capsules!: number;

  @ApiProperty({ example: '2026-11-24T06:00:00.000Z', nullable: true, type: String, format: 'date-time' })
  last_run_at!: string | null;

  @ApiProperty({ example: '2026-11-24T06:00:12.500Z', nullable: true, type: String, format: 'date-time' })
  last_success_at!: string | null;

  @ApiProperty({ example: '2026-11-20T06:00:30.000Z', nullable: true, type: String, format: 'date-time' })
  last_failure_at!: string | null;

  @ApiProperty({ type: SlotCountsDto, description: `The kind’s capsules together. ${UPTIME_DESCRIPTION}` })
  uptime!: SlotCountsDto;
}

/** One bucket of GET /api/capsules/{slug}/stats. */
export class StatsBucketDto extends RunMetricsDto {
  @ApiProperty({
    example: '2026-11-24T00:00:00.000Z',
    format: 'date-time',
    description: 'Start of the UTC hour or day',
  })
  bucket_start!: string;

  @ApiProperty({ example: 0 })
  running_runs!: number;

  @ApiProperty({ example: 0 })
  cancelled_runs!: number;

  @ApiProperty({ example: 1, description: 'Runs that ended in error' })
  error_runs!: number;

  @ApiProperty({ example: 0, description: 'Runs that ended in timeout' })
  timeout_runs!: number;
}

/** One definition revision of GET /api/capsules/{slug}/stats?group_by=revision. */
export class RevisionStatsDto extends RunMetricsDto {
  @ApiProperty({
    example: 3,
    description: 'The capsule definition revision the runs were reported under (0: before revisions were kept)',
  })
  revision!: number;

  @ApiProperty({ example: '2.0.0', nullable: true, type: String, description: 'The version that revision set' })
  version!: string | null;

  @ApiProperty({
    example: '2026-11-24T06:08:31.860Z',
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When the revision became current',
  })
  became_current_at!: string | null;

  @ApiProperty({ example: 0 })
  running_runs!: number;

  @ApiProperty({ example: 0 })
  cancelled_runs!: number;

  @ApiProperty({ example: 1, description: 'Runs that ended in error' })
  error_runs!: number;

  @ApiProperty({ example: 0, description: 'Runs that ended in timeout' })
  timeout_runs!: number;
}
