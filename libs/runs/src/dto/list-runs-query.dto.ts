import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDate, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { AsArray, AsInstant, EmptyAsUndefined, PageQueryDto, INSTANT_FORMS, INSTANT_DOC } from '@app/common';
import { RUN_STATUSES, type RunStatus } from '../run.entity';

export const RUN_PAGE = { default: 100, max: 1000 };

/** Filters of every run list; an empty value is no filter. */
export class ListRunsQueryDto extends PageQueryDto {
  // No `example`s on filters: Swagger UI's "Try it out" would send them (and find no runs).
  @ApiPropertyOptional({
    description: 'Only runs of this capsule, e.g. `dawn-dispatch` (unknown slug: empty list)',
    maxLength: 120,
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

  @ApiPropertyOptional({ description: 'Only runs by this actor, e.g. `cron@scheduler-1`', maxLength: 120 })
  @IsOptional()
  @EmptyAsUndefined()
  @IsString()
  @MaxLength(120)
  actor?: string;

  @ApiPropertyOptional({ description: 'Only runs of capsules of this kind, e.g. `dispatch`', maxLength: 50 })
  @IsOptional()
  @EmptyAsUndefined()
  @IsString()
  @MaxLength(50)
  kind?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: `Runs started at or after this instant, e.g. \`2026-11-01T00:00:00Z\`. ${INSTANT_DOC}`,
  })
  @IsOptional()
  @AsInstant()
  @IsDate({ message: `started_after must be ${INSTANT_FORMS}` })
  started_after?: Date;

  @ApiPropertyOptional({
    format: 'date-time',
    description: `Runs started before this instant, e.g. \`2026-12-01T00:00:00Z\`. ${INSTANT_DOC}`,
  })
  @IsOptional()
  @AsInstant()
  @IsDate({ message: `started_before must be ${INSTANT_FORMS}` })
  started_before?: Date;
}
