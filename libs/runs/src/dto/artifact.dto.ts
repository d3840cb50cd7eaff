import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '@app/common';
import type { RunRow } from '../run.entity';
import { CHECKSUM_MAX_LENGTH, IsChecksum } from './run-validators';

export class ArtifactsQueryDto extends PageQueryDto {
  // No `example`: Swagger UI's "Try it out" would send it (and find nothing).
  @ApiProperty({
    maxLength: CHECKSUM_MAX_LENGTH,
    description:
      'The checksum a run recorded, e.g. `sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`. ' +
      'Matches exactly, except that the case of an `algo:hex` value is folded ' +
      '(`SHA256:9F86…` finds `sha256:9f86…`); other values match case-sensitively.',
  })
  @IsString()
  @MaxLength(CHECKSUM_MAX_LENGTH)
  @IsChecksum()
  checksum!: string;
}

/** The artifact a run produced. */
export class ArtifactDto {
  @ApiProperty({ example: 'dawn-dispatch' })
  capsule_slug!: string;

  @ApiProperty({ example: 1234 })
  run_id!: number;

  @ApiProperty({ example: 'gs://capsules-artifacts/dawn-dispatch/2026-11-24.json' })
  artifact_uri!: string;

  @ApiProperty({
    example: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    nullable: true,
    type: String,
  })
  checksum!: string | null;

  @ApiProperty({ example: 'success', description: 'Status of the run that produced it' })
  status!: string;

  @ApiProperty({ example: '2026-11-24T06:00:00.000Z', format: 'date-time' })
  started_at!: string;

  @ApiProperty({ example: '2026-11-24T06:00:12.500Z', format: 'date-time', nullable: true, type: String })
  completed_at!: string | null;

  static fromRow(row: RunRow): ArtifactDto {
    return {
      capsule_slug: row.capsule_slug,
      run_id: Number(row.id),
      artifact_uri: row.artifact_uri ?? '',
      checksum: row.checksum,
      status: row.status,
      started_at: row.started_at.toISOString(),
      completed_at: row.completed_at?.toISOString() ?? null,
    };
  }
}
