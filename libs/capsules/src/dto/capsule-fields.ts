import { applyDecorators } from '@nestjs/common';
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
import { OptionalNotNull } from '@app/common';
import { CAPSULE_STATUSES } from '../capsule.entity';
import { IsCronExpression, IsTimeZone, RESERVED_SLUGS, SLUG_PATTERN } from './capsule-validators';

/**
 * The validation and documentation of each capsule field, shared by the
 * registration (POST) and the partial update (PATCH) bodies.
 */
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/;
const MAX_SECONDS = 2_592_000; // 30 days

/** Required on registration; on PATCH it may be left out but not set to null. */
const presence = (required: boolean) => (required ? [] : [OptionalNotNull()]);
const doc = (required: boolean, options: Parameters<typeof ApiProperty>[0]) =>
  required ? ApiProperty(options) : ApiPropertyOptional(options);

/**
 * Which body an optional field documents: a registration (POST), where a field left out of a
 * new capsule takes its default, or a partial update (PATCH), where it keeps its stored value.
 * Request schemas declare no `default` (generated clients would make the field required):
 * a registration says the default in the description, a PATCH says none at all.
 */
export type CapsuleBody = 'register' | 'patch';

const optional = (body: CapsuleBody, fallback: string, options: Parameters<typeof ApiProperty>[0] = {}) =>
  ApiPropertyOptional({
    ...options,
    description: [
      options.description,
      body === 'register'
        ? `Default for a new capsule: ${fallback}; left out on a known slug, the stored value stays.`
        : 'Left out: the stored value stays.',
    ]
      .filter(Boolean)
      .join('. '),
  });

export const SlugField = () =>
  applyDecorators(
    ApiProperty({ example: 'dawn-dispatch', description: 'Lowercase letters, digits and "-", 1-120 characters' }),
    IsString(),
    Matches(SLUG_PATTERN, { message: 'slug must contain only lowercase letters, digits and "-" (1-120 characters)' }),
    Matches(new RegExp(`^(?!(${RESERVED_SLUGS.join('|')})$)`), {
      message: `slug must not be one of the reserved words ${RESERVED_SLUGS.join(', ')}`,
    }),
  );

export const TitleField = (required: boolean) =>
  applyDecorators(
    doc(required, { example: 'Dawn Dispatch', minLength: 1, maxLength: 200 }),
    ...presence(required),
    IsString(),
    Length(1, 200),
  );

const token = (name: 'kind' | 'mode', required: boolean, example: string, seen: string) =>
  applyDecorators(
    doc(required, {
      example,
      description: `Free vocabulary (seen: ${seen}); GET /api/capsules/vocabulary lists those in use`,
      minLength: 1,
      maxLength: 50,
    }),
    ...presence(required),
    IsString(),
    Length(1, 50),
    Matches(TOKEN, { message: `${name} must be a short token (letters, digits, space, ".", "_" or "-")` }),
  );

export const KindField = (required: boolean) =>
  token('kind', required, 'dispatch', 'ceremony, engine, dispatch, treasury, education');

export const ModeField = (required: boolean) =>
  token('mode', required, 'automated', 'custodian, heir, customer, public, automated, manual');

export const VersionField = (body: CapsuleBody) =>
  applyDecorators(
    optional(body, '`1.0.0`', { example: '1.0.0', minLength: 1, maxLength: 50 }),
    OptionalNotNull(),
    IsString(),
    Length(1, 50),
  );

export const StatusField = (body: CapsuleBody) =>
  applyDecorators(
    optional(body, '`active`', { enum: CAPSULE_STATUSES, example: 'active' }),
    OptionalNotNull(),
    IsIn(CAPSULE_STATUSES, { message: `status must be one of ${CAPSULE_STATUSES.join(', ')}` }),
  );

export const EntrypointField = (body: CapsuleBody) =>
  applyDecorators(
    optional(body, '`""` (none)', { example: 'python -m capsules.dawn_dispatch', maxLength: 500 }),
    OptionalNotNull(),
    IsString(),
    MaxLength(500),
  );

export const ScheduleField = (body: CapsuleBody) =>
  applyDecorators(
    optional(body, 'null (no schedule)', {
      example: '0 6 * * *',
      nullable: true,
      type: String,
      maxLength: 120,
      description: '5-field cron expression (minute hour day-of-month month day-of-week) or a macro (@daily…), or null',
    }),
    IsOptional(),
    ValidateIf((_, value) => value !== null),
    IsString(),
    MaxLength(120),
    IsCronExpression(),
  );

export const TimezoneField = (body: CapsuleBody) =>
  applyDecorators(
    optional(body, '`UTC`', { example: 'America/New_York', description: 'IANA time zone of the schedule' }),
    OptionalNotNull(),
    IsTimeZone(),
  );

export const GraceSecondsField = (body: CapsuleBody) =>
  applyDecorators(
    optional(body, '300', {
      example: 600,
      type: 'integer',
      minimum: 0,
      maximum: MAX_SECONDS,
      description: 'How late a run may start before the capsule counts as late, in seconds',
    }),
    OptionalNotNull(),
    IsInt(),
    Min(0),
    Max(MAX_SECONDS),
  );

export const MaxRuntimeSecondsField = (body: CapsuleBody) =>
  applyDecorators(
    optional(body, 'null (no limit)', {
      example: 3600,
      nullable: true,
      type: 'integer',
      minimum: 1,
      maximum: MAX_SECONDS,
      description: 'A run still running after this many seconds counts as stuck (null: no limit)',
    }),
    IsOptional(),
    ValidateIf((_, value) => value !== null),
    IsInt(),
    Min(1),
    Max(MAX_SECONDS),
  );

export const TagsField = (body: CapsuleBody) =>
  applyDecorators(
    optional(body, '`[]`', { example: ['dawn', 'ops'], type: [String], maxItems: 20 }),
    OptionalNotNull(),
    IsArray(),
    ArrayMaxSize(20),
    IsString({ each: true }),
    Length(1, 50, { each: true }),
    NotContains(',', { each: true, message: 'tags must not contain ","' }),
  );
