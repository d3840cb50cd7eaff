import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { OptionalNotNull, IsInstant, INSTANT_DOC } from '@app/common';
import { RUN_STATUSES, type RunStatus } from '../run.entity';
import { CHECKSUM_DESCRIPTION, CHECKSUM_MAX_LENGTH, IsArtifactUri, IsChecksum } from './run-validators';

/**
 * Body of PATCH /api/capsules/runs/:id: finishes a running run (a final
 * status, completed_at defaulting to now) or adds details while it runs.
 */
export class FinishRunDto {
  @ApiPropertyOptional({ enum: RUN_STATUSES, example: 'success', description: 'A final status finishes the run' })
  @OptionalNotNull()
  @IsIn(RUN_STATUSES, { message: `status must be one of ${RUN_STATUSES.join(', ')}` })
  status?: RunStatus;

  @ApiPropertyOptional({
    example: '2026-11-24T06:00:12.500Z',
    format: 'date-time',
    description: `When the run finished; left out of a finishing PATCH: now. ${INSTANT_DOC}`,
  })
  @OptionalNotNull()
  @IsInstant()
  completed_at?: string;

  @ApiPropertyOptional({ example: 0 })
  @OptionalNotNull()
  @IsInt()
  @Min(-2_147_483_648)
  @Max(2_147_483_647)
  exit_code?: number;

  @ApiPropertyOptional({ example: 'dispatched 42 envelopes', maxLength: 4000 })
  @OptionalNotNull()
  @IsString()
  @MaxLength(4000)
  message?: string;

  @ApiPropertyOptional({ example: 'gs://capsules-artifacts/dawn-dispatch/2026-11-24.json', maxLength: 2048 })
  @OptionalNotNull()
  @IsString()
  @MaxLength(2048)
  @IsArtifactUri()
  artifact_uri?: string;

  @ApiPropertyOptional({
    example: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    maxLength: CHECKSUM_MAX_LENGTH,
    description: CHECKSUM_DESCRIPTION,
  })
  @OptionalNotNull()
  @IsString()
  @MaxLength(CHECKSUM_MAX_LENGTH)
  @IsChecksum()
  checksum?: string;
}
