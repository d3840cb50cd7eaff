import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import {
  FAILED_RUN_STATUSES,
  ROLLUP_COUNTERS,
  type RollupCounter,
  RUN_STATUSES,
  SUCCESSFUL_RUN_STATUSES,
} from '@app/database';
import { SlotCountsDto } from './slots.dto';

/** The statistics of a set of runs, as every analytics answer reports them. */
export class RunMetricsDto {
  @ApiProperty({ example: 42, description: 'Every run, running ones included' })
  total_runs!: number;

  @ApiProperty({ example: 40, description: `Runs that ended in ${SUCCESSFUL_RUN_STATUSES.join(' or ')}` })
  successful_runs!: number;

  @ApiProperty({ example: 1, description: `Runs that ended in ${FAILED_RUN_STATUSES.join(' or ')}` })
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

/** A counter per run status: the statuses are declared once (`RUN_STATUSES`), and so are these. */
export type StatusCounts = Record<RollupCounter, number>;

/**
 * `Base` with one integer property per run status (`ROLLUP_COUNTERS`), documented for the
 * OpenAPI document: a status added to the vocabulary appears in the answers and the schema.
 */
function WithStatusCounts<T extends Type<RunMetricsDto>>(Base: T): Type<InstanceType<T> & StatusCounts> {
  abstract class StatusCountsDto extends Base {}
  for (const status of RUN_STATUSES) {
    const counter = ROLLUP_COUNTERS[status];
    // Declared in a loop, the property has no design type to read: it is given.
    ApiProperty({ type: 'integer', example: status === 'success' ? 40 : 0, description: `Runs with status ${status}` })(
      StatusCountsDto.prototype as object,
      counter,
    );
  }
  return StatusCountsDto as unknown as Type<InstanceType<T> & StatusCounts>;
}

/** One bucket of GET /api/capsules/{slug}/stats. */
export class StatsBucketDto extends WithStatusCounts(RunMetricsDto) {
  @ApiProperty({
    example: '2026-11-24T00:00:00.000Z',
    format: 'date-time',
    description: 'Start of the UTC hour or day',
  })
  bucket_start!: string;
}

/** One definition revision of GET /api/capsules/{slug}/stats?group_by=revision. */
export class RevisionStatsDto extends WithStatusCounts(RunMetricsDto) {
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
}
