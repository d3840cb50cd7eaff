import { IsInstant, INSTANT_DOC } from '@app/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { FAILED_RUN_STATUSES, FINAL_RUN_STATUSES, statusList } from '@app/database';
import { RUN_STATUSES, type RunStatus } from '../run.entity';
import { CHECKSUM_DESCRIPTION, CHECKSUM_MAX_LENGTH, IsArtifactUri, IsChecksum, IsRunKey } from './run-validators';

/**
 * Body of POST /api/capsules/run. Without instants the run is recorded as
 * finished now (or started now, for `running`).
 */
export class RecordRunDto {
  @ApiProperty({ example: 'dawn-dispatch', description: 'Slug of a registered capsule' })
  @IsString()
  @Length(1, 120)
  capsule_slug!: string;

  @ApiProperty({ example: 'cron@scheduler-1', minLength: 1, maxLength: 120, description: 'Who or what ran it' })
  @IsString()
  @Length(1, 120)
  actor!: string;

  @ApiPropertyOptional({
    enum: RUN_STATUSES,
    example: 'success',
    description:
      `running (finish it later with PATCH), ${statusList(FINAL_RUN_STATUSES)}; ` +
      `${statusList(FAILED_RUN_STATUSES, 'and')} count as failures. Left out: \`success\`.`,
  })
  @IsOptional()
  @IsIn(RUN_STATUSES, { message: `status must be one of ${RUN_STATUSES.join(', ')}` })
  status?: RunStatus;

  @ApiPropertyOptional({ example: 'gs://capsules-artifacts/dawn-dispatch/2026-11-24.json', maxLength: 2048 })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsArtifactUri()
  artifact_uri?: string;

  @ApiPropertyOptional({
    example: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    maxLength: CHECKSUM_MAX_LENGTH,
    description: CHECKSUM_DESCRIPTION,
  })
  @IsOptional()
  @IsString()
  @MaxLength(CHECKSUM_MAX_LENGTH)
  @IsChecksum()
  checksum?: string;

  @ApiPropertyOptional({
    example: '2026-11-24T06:00:00.000Z',
    format: 'date-time',
    description: `Default: now. ${INSTANT_DOC}`,
  })
  @IsOptional()
  @IsInstant()
  started_at?: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '2026-11-24T06:00:12.500Z',
    format: 'date-time',
    description: `For finished runs; default: now. Must not be before started_at; must be absent for running runs. ${INSTANT_DOC}`,
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInstant()
  completed_at?: string | null;

  @ApiPropertyOptional({ example: 0, minimum: -2147483648, maximum: 2147483647 })
  @IsOptional()
  @IsInt()
  @Min(-2_147_483_648)
  @Max(2_147_483_647)
  exit_code?: number;

  @ApiPropertyOptional({ example: 'dispatched 42 envelopes', maxLength: 4000 })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  message?: string;

  @ApiPropertyOptional({
    example: 'dawn-dispatch/2026-11-24T06:00',
    maxLength: 200,
    description:
      'Exactly-once key (or send an Idempotency-Key header): a retried report with the same key returns the ' +
      'same run instead of recording another; the same key with another capsule or payload is a 409',
  })
  @IsOptional()
  @IsString()
  @IsRunKey()
  run_key?: string;
}
