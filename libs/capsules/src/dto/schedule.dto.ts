import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, Max, Min } from 'class-validator';
import { AsInstant, INSTANT_FORMS, INSTANT_DOC } from '@app/common';

export class ScheduleQueryDto {
  // No `example`s on query parameters: Swagger UI's "Try it out" would send them.
  @ApiPropertyOptional({ default: 5, type: 'integer', minimum: 1, maximum: 100, description: 'How many fire times' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'count must be a whole number' })
  @Min(1)
  @Max(100)
  count?: number;

  @ApiPropertyOptional({
    format: 'date-time',
    description: `Fire times strictly after this instant, e.g. \`2025-03-08T12:00:00Z\` (default: now). ${INSTANT_DOC}`,
  })
  @IsOptional()
  @AsInstant()
  @IsDate({ message: `after must be ${INSTANT_FORMS}` })
  after?: Date;
}

export class FireTimeDto {
  @ApiProperty({ example: '2025-03-09T07:00:00.000Z', format: 'date-time', description: 'The instant, UTC' })
  at!: string;

  @ApiProperty({
    example: '2025-03-09T03:00:00-04:00',
    description: 'Wall-clock time in the capsule time zone, with offset',
  })
  local!: string;
}
