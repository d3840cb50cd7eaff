import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { SCHEDULE_STATES, type ScheduleState } from '@app/schedules';
import { AsArray, EmptyAsUndefined } from '@app/common';
import { type AnalyticsWindow, WINDOWS } from '@app/database';

export { WINDOWS, type AnalyticsWindow };

export const BUCKETS = ['hour', 'day'] as const;
export type StatsBucket = (typeof BUCKETS)[number];

const WINDOW_DOC =
  'Runs started in the window: 24h = the current UTC hour and the 23 before it; 7d and 30d = the current UTC ' +
  'day and the 6 or 29 before it; all = every run. Windows are whole UTC hours or days (the rollup grain).';

// No `example`s on query parameters: Swagger UI's "Try it out" would send them as filters.
export class PerformanceQueryDto {
  @ApiPropertyOptional({ enum: WINDOWS, default: 'all', description: WINDOW_DOC })
  @IsOptional()
  @EmptyAsUndefined()
  @IsIn(WINDOWS, { message: `window must be one of ${WINDOWS.join(', ')}` })
  window?: AnalyticsWindow;

  @ApiPropertyOptional({
    description: 'Only capsules of this kind, e.g. `dispatch` (empty = no filter)',
    maxLength: 50,
  })
  @IsOptional()
  @EmptyAsUndefined()
  @IsString()
  @MaxLength(50)
  kind?: string;

  @ApiPropertyOptional({
    enum: ['kind'],
    description: 'kind: one entry per kind instead of per capsule',
  })
  @IsOptional()
  @EmptyAsUndefined()
  @IsIn(['kind'], { message: 'group_by must be kind' })
  group_by?: 'kind';

  @ApiPropertyOptional({
    enum: ['current'],
    description:
      'current: count only the runs of each capsule’s current definition revision (needs window=all; ' +
      'GET /api/capsules/{slug}/stats?group_by=revision has every revision)',
  })
  @IsOptional()
  @EmptyAsUndefined()
  @IsIn(['current'], { message: 'revision must be current' })
  revision?: 'current';
}

export class StatsQueryDto {
  @ApiPropertyOptional({ enum: WINDOWS, default: '30d', description: WINDOW_DOC })
  @IsOptional()
  @EmptyAsUndefined()
  @IsIn(WINDOWS, { message: `window must be one of ${WINDOWS.join(', ')}` })
  window?: AnalyticsWindow;

  @ApiPropertyOptional({
    enum: BUCKETS,
    default: 'day',
    description: 'One entry per UTC hour or day of the window (empty ones included); hour needs a window up to 30d',
  })
  @IsOptional()
  @EmptyAsUndefined()
  @IsIn(BUCKETS, { message: `bucket must be one of ${BUCKETS.join(', ')}` })
  bucket?: StatsBucket;

  @ApiPropertyOptional({
    enum: ['revision'],
    description:
      'revision: one entry per capsule definition revision (all time; RevisionStatsDto) instead of per bucket',
  })
  @IsOptional()
  @EmptyAsUndefined()
  @IsIn(['revision'], { message: 'group_by must be revision' })
  group_by?: 'revision';
}

export class ScheduledQueryDto {
  @ApiPropertyOptional({
    enum: SCHEDULE_STATES,
    isArray: true,
    description: 'Only capsules in one of these states (repeat: ?state=late&state=down)',
  })
  @IsOptional()
  @AsArray()
  @IsIn(SCHEDULE_STATES, { each: true, message: `state must be one of ${SCHEDULE_STATES.join(', ')}` })
  state?: ScheduleState[];
}
