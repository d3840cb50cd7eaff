import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { EmptyAsUndefined } from '@app/common';

export class PerformanceQueryDto {
  @ApiPropertyOptional({ example: 'dispatch', description: 'Only capsules of this kind (empty = no filter)' })
  @IsOptional()
  @EmptyAsUndefined()
  @IsString()
  @MaxLength(50)
  kind?: string;
}
