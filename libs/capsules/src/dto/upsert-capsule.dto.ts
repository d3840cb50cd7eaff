import type { CapsuleStatus } from '../capsule.entity';
import {
  EntrypointField,
  GraceSecondsField,
  KindField,
  MaxRuntimeSecondsField,
  ModeField,
  ScheduleField,
  SlugField,
  StatusField,
  TagsField,
  TimezoneField,
  TitleField,
  VersionField,
} from './capsule-fields';

/** The definition fields a registration may leave out. */
export class CapsuleOptionsDto {
  @VersionField()
  version?: string;

  @StatusField()
  status?: CapsuleStatus;

  @EntrypointField()
  entrypoint?: string;

  @ScheduleField()
  schedule?: string | null;

  @TimezoneField()
  timezone?: string;

  @GraceSecondsField()
  grace_seconds?: number;

  @MaxRuntimeSecondsField()
  max_runtime_seconds?: number | null;

  @TagsField()
  tags?: string[];
}

/**
 * Body of POST /api/capsules: registers a capsule, or updates the one with
 * this slug. On update, an optional field left out keeps its stored value;
 * on first registration it takes its default.
 */
export class UpsertCapsuleDto extends CapsuleOptionsDto {
  @SlugField()
  slug!: string;

  @TitleField(true)
  title!: string;

  @KindField(true)
  kind!: string;

  @ModeField(true)
  mode!: string;
}

/** Body of PATCH /api/capsules/:slug: any definition field but the slug; at least one. */
export class PatchCapsuleDto extends CapsuleOptionsDto {
  @TitleField(false)
  title?: string;

  @KindField(false)
  kind?: string;

  @ModeField(false)
  mode?: string;
}
