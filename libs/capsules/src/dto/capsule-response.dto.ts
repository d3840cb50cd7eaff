import { ApiProperty, PickType } from '@nestjs/swagger';
import { CAPSULE_DEFINITION_FIELDS, CAPSULE_STATUSES, type CapsuleEntity, type CapsuleStatus } from '../capsule.entity';
import type { VersionRow } from '../capsules.repository';
import { ScheduleStateProperty, type ScheduleState } from '@app/schedules';

export class CapsuleResponseDto {
  @ApiProperty({ example: 1 })
  id!: number;

  @ApiProperty({ example: 'dawn-dispatch' })
  slug!: string;

  @ApiProperty({ example: 'Dawn Dispatch' })
  title!: string;

  @ApiProperty({ example: 'dispatch' })
  kind!: string;

  @ApiProperty({ example: 'automated' })
  mode!: string;

  @ApiProperty({ example: '1.0.0' })
  version!: string;

  @ApiProperty({ enum: CAPSULE_STATUSES, example: 'active' })
  status!: CapsuleStatus;

  @ApiProperty({ example: 'python -m capsules.dawn_dispatch' })
  entrypoint!: string;

  @ApiProperty({ example: '0 6 * * *', nullable: true, type: String })
  schedule!: string | null;

  @ApiProperty({ example: 'UTC' })
  timezone!: string;

  @ApiProperty({ example: 300 })
  grace_seconds!: number;

  @ApiProperty({ example: 3600, nullable: true, type: Number })
  max_runtime_seconds!: number | null;

  @ApiProperty({ example: ['dawn', 'ops'], type: [String] })
  tags!: string[];

  @ApiProperty({ example: 3, description: 'Definition revision: 1 at registration, +1 on every change' })
  revision!: number;

  @ApiProperty({ example: '2026-11-24T06:08:31.860Z', format: 'date-time' })
  created_at!: string;

  @ApiProperty({ example: '2026-11-24T06:08:31.860Z', format: 'date-time' })
  updated_at!: string;

  static fromEntity(capsule: CapsuleEntity): CapsuleResponseDto {
    return {
      id: capsule.id,
      slug: capsule.slug,
      title: capsule.title,
      kind: capsule.kind,
      mode: capsule.mode,
      version: capsule.version,
      status: capsule.status,
      entrypoint: capsule.entrypoint,
      schedule: capsule.schedule,
      timezone: capsule.timezone,
      grace_seconds: capsule.grace_seconds,
      max_runtime_seconds: capsule.max_runtime_seconds,
      tags: capsule.tags,
      revision: capsule.revision,
      created_at: capsule.created_at.toISOString(),
      updated_at: capsule.updated_at.toISOString(),
    };
  }
}

export class VocabularyDto {
  @ApiProperty({ example: ['ceremony', 'dispatch', 'engine', 'treasury'], type: [String] })
  kinds!: string[];

  @ApiProperty({ example: ['automated', 'custodian', 'manual'], type: [String] })
  modes!: string[];
}

/** GET /api/capsules/:slug: the capsule with its schedule state. */
export class CapsuleDetailDto extends CapsuleResponseDto {
  @ScheduleStateProperty()
  state!: ScheduleState;

  @ApiProperty({
    example: '2026-11-25T06:00:00.000Z',
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'Next fire time after now (null without schedule or when archived)',
  })
  next_run!: string | null;

  @ApiProperty({ example: '2026-11-24T06:00:00.000Z', nullable: true, type: String, format: 'date-time' })
  last_run!: string | null;
}

/** One immutable version of a capsule definition: its fields, who changed them, when. */
export class CapsuleVersionDto extends PickType(CapsuleResponseDto, CAPSULE_DEFINITION_FIELDS) {
  @ApiProperty({ example: 2 })
  revision!: number;

  @ApiProperty({
    example: 'ci-runner',
    nullable: true,
    type: String,
    description: 'Name of the API key that made the change, when known',
  })
  changed_by!: string | null;

  @ApiProperty({ example: '2026-11-24T06:08:31.860Z', format: 'date-time' })
  changed_at!: string;

  static fromRow(row: VersionRow): CapsuleVersionDto {
    return {
      revision: row.revision,
      ...(row.definition as Omit<CapsuleVersionDto, 'revision' | 'changed_by' | 'changed_at'>),
      changed_by: row.changed_by,
      changed_at: row.changed_at.toISOString(),
    };
  }
}
