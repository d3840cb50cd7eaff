import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { EmptyAsUndefined, PageQueryDto } from '@app/common';
import { CAPSULE_STATUSES, type CapsuleStatus } from '../capsule.entity';

export const CAPSULE_PAGE = { default: 1000, max: 1000 };

export class ListCapsulesQueryDto extends PageQueryDto {
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
    description: 'Only capsules of this mode, e.g. `automated` (empty = no filter)',
    maxLength: 50,
  })
  @IsOptional()
  @EmptyAsUndefined()
  @IsString()
  @MaxLength(50)
  mode?: string;

  @ApiPropertyOptional({ enum: CAPSULE_STATUSES, description: 'Only capsules with this status' })
  @IsOptional()
  @EmptyAsUndefined()
  @IsIn(CAPSULE_STATUSES, { message: `status must be one of ${CAPSULE_STATUSES.join(', ')}` })
  status?: CapsuleStatus;
}
