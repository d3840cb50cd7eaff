import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  NotContains,
  ValidateIf,
} from 'class-validator';
import { CAPSULE_STATUSES, type CapsuleStatus } from '../capsule.entity';
import { IsCronExpression, IsTimeZone, RESERVED_SLUGS, SLUG_PATTERN } from './capsule-validators';

const TOKEN = /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/;

/**
 * Body of POST /api/capsules: registers a capsule, or updates the one with
 * this slug. On update, an optional field left out keeps its stored value;
 * on first registration it takes its default.
 */
export class UpsertCapsuleDto {
  @ApiProperty({ example: 'dawn-dispatch', description: 'Lowercase letters, digits and "-", 1-120 characters' })
  @IsString()
  @Matches(SLUG_PATTERN, { message: 'slug must contain only lowercase letters, digits and "-" (1-120 characters)' })
  @Matches(new RegExp(`^(?!(${RESERVED_SLUGS.join('|')})$)`), {
    message: `slug must not be one of the reserved words ${RESERVED_SLUGS.join(', ')}`,
  })
  slug!: string;

  @ApiProperty({ example: 'Dawn Dispatch', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  title!: string;

  @ApiProperty({
    example: 'dispatch',
    description:
      'Free vocabulary (seen: ceremony, engine, dispatch, treasury, education); GET /api/capsules/vocabulary lists those in use',
    minLength: 1,
    maxLength: 50,
  })
  @IsString()
  @Length(1, 50)
  @Matches(TOKEN, { message: 'kind must be a short token (letters, digits, space, ".", "_" or "-")' })
  kind!: string;

  @ApiProperty({
    example: 'automated',
    description: 'Free vocabulary (seen: custodian, heir, customer, public, automated, manual)',
    minLength: 1,
    maxLength: 50,
  })
  @IsString()
  @Length(1, 50)
  @Matches(TOKEN, { message: 'mode must be a short token (letters, digits, space, ".", "_" or "-")' })
  mode!: string;

  @ApiPropertyOptional({ example: '1.0.0', default: '1.0.0', maxLength: 50 })
  @IsOptional()
  @IsString()
  @Length(1, 50)
  version?: string;

  @ApiPropertyOptional({ enum: CAPSULE_STATUSES, default: 'active', example: 'active' })
  @IsOptional()
  @IsIn(CAPSULE_STATUSES, { message: `status must be one of ${CAPSULE_STATUSES.join(', ')}` })
  status?: CapsuleStatus;

  @ApiPropertyOptional({ example: 'python -m capsules.dawn_dispatch', default: '', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  entrypoint?: string;

  @ApiPropertyOptional({
    example: '0 6 * * *',
    nullable: true,
    description: '5-field cron expression (minute hour day-of-month month day-of-week) or a macro (@daily…), or null',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MaxLength(120)
  @IsCronExpression()
  schedule?: string | null;

  @ApiPropertyOptional({ example: 'America/New_York', default: 'UTC', description: 'IANA time zone of the schedule' })
  @IsOptional()
  @IsTimeZone()
  timezone?: string;

  @ApiPropertyOptional({
    example: 600,
    default: 300,
    minimum: 0,
    maximum: 2592000,
    description: 'How late a run may start before the capsule counts as late, in seconds',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2_592_000)
  grace_seconds?: number;

  @ApiPropertyOptional({
    example: 3600,
    nullable: true,
    minimum: 1,
    maximum: 2592000,
    description: 'A run still running after this many seconds counts as stuck (null: no limit)',
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(1)
  @Max(2_592_000)
  max_runtime_seconds?: number | null;

  @ApiPropertyOptional({ example: ['dawn', 'ops'], type: [String], maxItems: 20, default: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Length(1, 50, { each: true })
  @NotContains(',', { each: true, message: 'tags must not contain ","' })
  tags?: string[];
}
