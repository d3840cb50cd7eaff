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

export const VersionField = () =>
  applyDecorators(
    ApiPropertyOptional({ example: '1.0.0', default: '1.0.0', maxLength: 50 }),
    OptionalNotNull(),
    IsString(),
    Length(1, 50),
  );

export const StatusField = () =>
  applyDecorators(
    ApiPropertyOptional({ enum: CAPSULE_STATUSES, default: 'active', example: 'active' }),
    OptionalNotNull(),
    IsIn(CAPSULE_STATUSES, { message: `status must be one of ${CAPSULE_STATUSES.join(', ')}` }),
  );

export const EntrypointField = () =>
  applyDecorators(
    ApiPropertyOptional({ example: 'python -m capsules.dawn_dispatch', default: '', maxLength: 500 }),
    OptionalNotNull(),
    IsString(),
    MaxLength(500),
  );

export const ScheduleField = () =>
  applyDecorators(
    ApiPropertyOptional({
      example: '0 6 * * *',
      nullable: true,
      type: String,
      description: '5-field cron expression (minute hour day-of-month month day-of-week) or a macro (@daily…), or null',
    }),
    IsOptional(),
    ValidateIf((_, value) => value !== null),
    IsString(),
    MaxLength(120),
    IsCronExpression(),
  );

export const TimezoneField = () =>
  applyDecorators(
    ApiPropertyOptional({ example: 'America/New_York', default: 'UTC', description: 'IANA time zone of the schedule' }),
    OptionalNotNull(),
    IsTimeZone(),
  );

export const GraceSecondsField = () =>
  applyDecorators(
    ApiPropertyOptional({
      example: 600,
      default: 300,
      minimum: 0,
      maximum: MAX_SECONDS,
      description: 'How late a run may start before the capsule counts as late, in seconds',
    }),
    OptionalNotNull(),
    IsInt(),
    Min(0),
    Max(MAX_SECONDS),
  );

export const MaxRuntimeSecondsField = () =>
  applyDecorators(
    ApiPropertyOptional({
      example: 3600,
      nullable: true,
      type: Number,
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

export const TagsField = () =>
  applyDecorators(
    ApiPropertyOptional({ example: ['dawn', 'ops'], type: [String], maxItems: 20, default: [] }),
    OptionalNotNull(),
    IsArray(),
    ArrayMaxSize(20),
    IsString({ each: true }),
    Length(1, 50, { each: true }),
    NotContains(',', { each: true, message: 'tags must not contain ","' }),
  );
