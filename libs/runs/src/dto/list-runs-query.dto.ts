import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDate, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { AsArray, AsInstant, EmptyAsUndefined, PageQueryDto } from '@app/common';
import { RUN_STATUSES, type RunStatus } from '../run.entity';

export const RUN_PAGE = { default: 100, max: 1000 };

/** Filters of every run list; an empty value is no filter. */
export class ListRunsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    example: 'dawn-dispatch',
    description: 'Only runs of this capsule (unknown slug: empty list)',
  })
  @IsOptional()
  @EmptyAsUndefined()
  @IsString()
  @MaxLength(120)
  capsule_slug?: string;

  @ApiPropertyOptional({
    enum: RUN_STATUSES,
    isArray: true,
    description: 'Only runs with one of these statuses (repeat the parameter: ?status=error&status=timeout)',
  })
  @IsOptional()
  @AsArray()
  @IsIn(RUN_STATUSES, { each: true, message: `status must be one of ${RUN_STATUSES.join(', ')}` })
  status?: RunStatus[];

  @ApiPropertyOptional({ example: 'cron@scheduler-1', description: 'Only runs by this actor' })
  @IsOptional()
  @EmptyAsUndefined()
  @IsString()
  @MaxLength(120)
  actor?: string;

  @ApiPropertyOptional({ example: 'dispatch', description: 'Only runs of capsules of this kind' })
  @IsOptional()
  @EmptyAsUndefined()
  @IsString()
  @MaxLength(50)
  kind?: string;

  @ApiPropertyOptional({
    example: '2026-11-01T00:00:00Z',
    format: 'date-time',
    description: 'Runs started at or after',
  })
  @IsOptional()
  @AsInstant()
  @IsDate({ message: 'started_after must be an ISO-8601 instant' })
  started_after?: Date;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', format: 'date-time', description: 'Runs started before' })
  @IsOptional()
  @AsInstant()
  @IsDate({ message: 'started_before must be an ISO-8601 instant' })
  started_before?: Date;
}
