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

/**
 * The definition fields a registration may leave out (a new capsule takes
 * their defaults, a known slug keeps its stored values).
 */
export class CapsuleOptionsDto {
  @VersionField('register')
  version?: string;

  @StatusField('register')
  status?: CapsuleStatus;

  @EntrypointField('register')
  entrypoint?: string;

  @ScheduleField('register')
  schedule?: string | null;

  @TimezoneField('register')
  timezone?: string;

  @GraceSecondsField('register')
  grace_seconds?: number;

  @MaxRuntimeSecondsField('register')
  max_runtime_seconds?: number | null;

  @TagsField('register')
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

/**
 * Body of PATCH /api/capsules/:slug: any definition field but the slug; at
 * least one. A field left out keeps its stored value (no defaults here).
 */
export class PatchCapsuleDto {
  @TitleField(false)
  title?: string;

  @KindField(false)
  kind?: string;

  @ModeField(false)
  mode?: string;

  @VersionField('patch')
  version?: string;

  @StatusField('patch')
  status?: CapsuleStatus;

  @EntrypointField('patch')
  entrypoint?: string;

  @ScheduleField('patch')
  schedule?: string | null;

  @TimezoneField('patch')
  timezone?: string;

  @GraceSecondsField('patch')
  grace_seconds?: number;

  @MaxRuntimeSecondsField('patch')
  max_runtime_seconds?: number | null;

  @TagsField('patch')
  tags?: string[];
}
