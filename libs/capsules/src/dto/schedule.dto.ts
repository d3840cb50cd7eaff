import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, Max, Min } from 'class-validator';
import { AsInstant } from '@app/common';

export class ScheduleQueryDto {
  @ApiPropertyOptional({ example: 5, default: 5, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'count must be a whole number' })
  @Min(1)
  @Max(100)
  count?: number;

  @ApiPropertyOptional({
    example: '2025-03-08T12:00:00Z',
    format: 'date-time',
    description: 'Fire times strictly after this instant (default: now)',
  })
  @IsOptional()
  @AsInstant()
  @IsDate({ message: 'after must be an ISO-8601 instant' })
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
