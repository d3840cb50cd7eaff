import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsInstant, OptionalNotNull } from '@app/common';
import { ALERT_STATUSES, type AlertStatus, effectiveRules } from '../alert-rules';
import type { AlertStateRow } from '../alerts.repository';

const MAX_SECONDS = 2_592_000;

export class FailureRuleDto {
  @ApiPropertyOptional({ example: 3, minimum: 1, maximum: 100, description: 'Down after this many failures in a row' })
  @ValidateIf((o: FailureRuleDto) => o.rate === undefined || o.after !== undefined)
  @IsInt({ message: 'failure.after must be a whole number (or give rate and window instead)' })
  @Min(1)
  @Max(100)
  after?: number;

  @ApiPropertyOptional({
    example: 0.5,
    minimum: 0.01,
    maximum: 1,
    description: 'Down when at least this share of the last `window` finished runs failed',
  })
  @ValidateIf((o: FailureRuleDto) => o.rate !== undefined || o.window !== undefined)
  @IsNumber({}, { message: 'failure.rate must be a number from 0.01 to 1' })
  @Min(0.01)
  @Max(1)
  rate?: number;

  @ApiPropertyOptional({ example: 10, minimum: 2, maximum: 1000 })
  @ValidateIf((o: FailureRuleDto) => o.rate !== undefined || o.window !== undefined)
  @IsInt({ message: 'failure.window must be a whole number from 2 to 1000' })
  @Min(2)
  @Max(1000)
  window?: number;
}

export class SlowRuleDto {
  @ApiPropertyOptional({ example: 900, minimum: 1, maximum: MAX_SECONDS, description: 'Down above this duration' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SECONDS)
  max_seconds?: number;

  @ApiPropertyOptional({
    example: 2,
    minimum: 1.01,
    maximum: 100,
    description: 'Down above the p95 of the last 50 successful runs times this (once 10 exist)',
  })
  @IsOptional()
  @IsNumber()
  @Min(1.01)
  @Max(100)
  p95_factor?: number;
}

export class FastRuleDto {
  @ApiPropertyOptional({ example: 5, minimum: 1, maximum: MAX_SECONDS, description: 'Down below this duration' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SECONDS)
  min_seconds?: number;

  @ApiPropertyOptional({
    example: 4,
    minimum: 1.01,
    maximum: 100,
    description: 'Down below the p5 of the last 50 successful runs divided by this (once 10 exist)',
  })
  @IsOptional()
  @IsNumber()
  @Min(1.01)
  @Max(100)
  p5_divisor?: number;
}

/** The rules a PATCH changes: each key given replaces the stored one; null restores the default. */
export class AlertRulesPatchDto {
  @ApiPropertyOptional({
    example: true,
    nullable: true,
    type: Boolean,
    description: 'Down when a run is missed (default true)',
  })
  @IsOptional()
  @IsBoolean()
  missed?: boolean | null;

  @ApiPropertyOptional({ type: FailureRuleDto, nullable: true, description: 'Default: {"after": 1}' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => FailureRuleDto)
  failure?: FailureRuleDto | null;

  @ApiPropertyOptional({
    example: true,
    nullable: true,
    type: Boolean,
    description: 'Down past max_runtime_seconds (default true)',
  })
  @IsOptional()
  @IsBoolean()
  stuck?: boolean | null;

  @ApiPropertyOptional({ type: SlowRuleDto, nullable: true, description: 'Default: {} (off)' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SlowRuleDto)
  slow?: SlowRuleDto | null;

  @ApiPropertyOptional({ type: FastRuleDto, nullable: true, description: 'Default: {} (off)' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => FastRuleDto)
  fast?: FastRuleDto | null;

  @ApiPropertyOptional({
    example: true,
    nullable: true,
    type: Boolean,
    description: 'Notify on recovery (default true)',
  })
  @IsOptional()
  @IsBoolean()
  recovery?: boolean | null;
}

/** Body of PATCH /api/capsules/:slug/alerts. */
export class PatchAlertSettingsDto {
  @ApiPropertyOptional({ type: AlertRulesPatchDto })
  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => AlertRulesPatchDto)
  rules?: AlertRulesPatchDto;

  @ApiPropertyOptional({
    example: '2026-12-02T12:00:00Z',
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'Mute notifications until this instant (flips are still recorded); null unmutes',
  })
  @IsOptional()
  @IsInstant()
  snoozed_until?: string | null;
}

/** A capsule's snooze: notifications muted until `until`. */
export class SnoozeStateDto {
  @ApiProperty({ example: 'dawn-dispatch' })
  slug!: string;

  @ApiProperty({ example: '2026-12-02T12:00:00.000Z', format: 'date-time' })
  until!: string;
}

/** Body of PUT /api/capsules/:slug/snooze. */
export class SnoozeDto {
  @ApiProperty({ example: '2026-12-02T12:00:00Z', format: 'date-time', description: 'Mute notifications until then' })
  @IsInstant()
  until!: string;
}

class FailureRuleViewDto {
  @ApiPropertyOptional({ example: 1 })
  after?: number;
  @ApiPropertyOptional({ example: 0.5 })
  rate?: number;
  @ApiPropertyOptional({ example: 10 })
  window?: number;
}

export class AlertRulesDto {
  @ApiProperty({ example: true })
  missed!: boolean;
  @ApiProperty({ type: FailureRuleViewDto, example: { after: 1 } })
  failure!: FailureRuleViewDto;
  @ApiProperty({ example: true })
  stuck!: boolean;
  @ApiProperty({ type: SlowRuleDto, example: {} })
  slow!: SlowRuleDto;
  @ApiProperty({ type: FastRuleDto, example: {} })
  fast!: FastRuleDto;
  @ApiProperty({ example: true })
  recovery!: boolean;
}

export class AlertSettingsDto {
  @ApiProperty({ example: 'dawn-dispatch' })
  slug!: string;

  @ApiProperty({
    enum: ALERT_STATUSES,
    example: 'up',
    description: 'The state the last flip set (the schedule `state` adds `late`, derived at read time)',
  })
  status!: AlertStatus;

  @ApiProperty({
    example: '2026-12-03T06:05:00.000Z',
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When the detector looks at the capsule next (a missed deadline or a stuck run), if ever',
  })
  alert_after!: string | null;

  @ApiProperty({
    example: '2026-12-02T06:05:00.000Z',
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When the status last changed',
  })
  changed_at!: string | null;

  @ApiProperty({ example: null, format: 'date-time', nullable: true, type: String })
  snoozed_until!: string | null;

  @ApiProperty({ type: AlertRulesDto, description: 'The rules in force: the stored ones, the defaults for the rest' })
  rules!: AlertRulesDto;

  static fromRow(slug: string, row: AlertStateRow): AlertSettingsDto {
    return {
      slug,
      status: row.status,
      alert_after: row.alert_after?.toISOString() ?? null,
      changed_at: row.changed_at?.toISOString() ?? null,
      snoozed_until: row.snoozed_until?.toISOString() ?? null,
      rules: effectiveRules(row.rules),
    };
  }
}
