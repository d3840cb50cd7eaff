import { ApiProperty } from '@nestjs/swagger';
import { RUN_STATUSES, type RunRow, type RunStatus } from '../run.entity';

export class RunResponseDto {
  @ApiProperty({ example: 1 })
  id!: number;

  @ApiProperty({ example: 'dawn-dispatch' })
  capsule_slug!: string;

  @ApiProperty({ example: 'cron@scheduler-1' })
  actor!: string;

  @ApiProperty({ enum: RUN_STATUSES, example: 'success' })
  status!: RunStatus;

  @ApiProperty({ example: '2026-11-24T06:00:00.000Z', format: 'date-time' })
  started_at!: string;

  @ApiProperty({ example: '2026-11-24T06:00:12.500Z', format: 'date-time', nullable: true, type: String })
  completed_at!: string | null;

  @ApiProperty({ example: 12500, nullable: true, type: Number, description: 'Derived: completed_at - started_at' })
  duration_ms!: number | null;

  @ApiProperty({ example: 'gs://capsules-artifacts/dawn-dispatch/2026-11-24.json', nullable: true, type: String })
  artifact_uri!: string | null;

  @ApiProperty({
    example: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    nullable: true,
    type: String,
  })
  checksum!: string | null;

  @ApiProperty({ example: 0, nullable: true, type: Number })
  exit_code!: number | null;

  @ApiProperty({ example: 'dispatched 42 envelopes', nullable: true, type: String })
  message!: string | null;

  @ApiProperty({ example: 'dawn-dispatch/2026-11-24T06:00', nullable: true, type: String })
  run_key!: string | null;

  @ApiProperty({
    example: 3,
    nullable: true,
    type: Number,
    description: 'Capsule definition revision when the run was recorded',
  })
  capsule_revision!: number | null;

  static fromRow(row: RunRow): RunResponseDto {
    return {
      id: Number(row.id),
      capsule_slug: row.capsule_slug,
      actor: row.actor,
      status: row.status,
      started_at: row.started_at.toISOString(),
      completed_at: row.completed_at?.toISOString() ?? null,
      duration_ms: row.duration_ms === null ? null : Number(row.duration_ms),
      artifact_uri: row.artifact_uri,
      checksum: row.checksum,
      exit_code: row.exit_code,
      message: row.message,
      run_key: row.run_key,
      capsule_revision: row.capsule_revision,
    };
  }
}
