import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsString,
  IsUrl,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { OptionalNotNull } from '@app/common';
import { CHANNEL_TYPES, type ChannelType } from '../channels/channel-sender';
import type { ChannelRow } from '../channels.repository';

/** A channel counts as unhealthy after this many failed attempts in a row. */
export const UNHEALTHY_AFTER_FAILURES = 3;

const URL_RULE = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };
const SLUG = /^[a-z0-9-]{1,120}$/;

class ChannelRoutingDto {
  @ApiPropertyOptional({
    type: [String],
    example: ['dawn-dispatch'],
    description: 'Capsules (slugs) whose notifications this channel receives',
  })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(SLUG, { each: true, message: 'capsules must be capsule slugs' })
  capsules?: string[];

  @ApiPropertyOptional({ type: [String], example: ['treasury'], description: 'Capsule kinds this channel receives' })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 50, { each: true })
  kinds?: string[];

  @ApiPropertyOptional({ type: [String], example: ['ops'], description: 'Capsule tags this channel receives' })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 50, { each: true })
  tags?: string[];
}

/** Body of POST /api/channels. */
export class CreateChannelDto extends ChannelRoutingDto {
  @ApiProperty({ example: 'ops-webhook', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ enum: CHANNEL_TYPES, example: 'webhook' })
  @IsIn(CHANNEL_TYPES, { message: 'type must be one of webhook, slack, email' })
  type!: ChannelType;

  @ApiPropertyOptional({
    example: 'https://hooks.example.com/capsules',
    description: 'For webhook and slack: where to POST (http or https). Kept secret: answers show its host only.',
    maxLength: 2000,
  })
  @ValidateIf((o: CreateChannelDto) => o.type !== 'email' || o.url !== undefined)
  @IsString({ message: 'url is required for webhook and slack channels' })
  @MaxLength(2000)
  @IsUrl(URL_RULE, { message: 'url must be an http or https URL' })
  url?: string;

  @ApiPropertyOptional({ example: 'oncall@example.com', description: 'For email: the recipient address' })
  @ValidateIf((o: CreateChannelDto) => o.type === 'email' || o.to !== undefined)
  @IsString({ message: 'to is required for email channels' })
  @MaxLength(320)
  @IsEmail({}, { message: 'to must be an e-mail address' })
  to?: string;
}

/** Body of PATCH /api/channels/:id: any of these; the type stays. */
export class UpdateChannelDto extends ChannelRoutingDto {
  @ApiPropertyOptional({ example: 'ops-webhook', minLength: 1, maxLength: 100 })
  @OptionalNotNull()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ example: 'https://hooks.example.com/capsules-v2', maxLength: 2000 })
  @OptionalNotNull()
  @IsString()
  @MaxLength(2000)
  @IsUrl(URL_RULE, { message: 'url must be an http or https URL' })
  url?: string;

  @ApiPropertyOptional({ example: 'oncall@example.com' })
  @OptionalNotNull()
  @IsString()
  @MaxLength(320)
  @IsEmail({}, { message: 'to must be an e-mail address' })
  to?: string;
}

export class ChannelDto {
  @ApiProperty({ example: 7 })
  id!: number;

  @ApiProperty({ example: 'ops-webhook' })
  name!: string;

  @ApiProperty({ enum: CHANNEL_TYPES, example: 'webhook' })
  type!: ChannelType;

  @ApiProperty({
    example: 'https://hooks.example.com/…',
    description: 'The URL (scheme and host only) or the address (first letter and domain): never in full',
  })
  target!: string;

  @ApiProperty({ type: [String], example: [], description: 'Routing by slug; all three empty: every capsule' })
  capsules!: string[];

  @ApiProperty({ type: [String], example: ['treasury'] })
  kinds!: string[];

  @ApiProperty({ type: [String], example: [] })
  tags!: string[];

  @ApiProperty({ example: true, description: `false after ${UNHEALTHY_AFTER_FAILURES} failed attempts in a row` })
  healthy!: boolean;

  @ApiProperty({ example: 0 })
  consecutive_failures!: number;

  @ApiProperty({ example: '2026-12-02T06:05:01.120Z', format: 'date-time', nullable: true, type: String })
  last_success_at!: string | null;

  @ApiProperty({ example: null, format: 'date-time', nullable: true, type: String })
  last_failure_at!: string | null;

  @ApiProperty({ example: '2026-12-01T09:00:00.000Z', format: 'date-time' })
  created_at!: string;

  static fromRow(row: ChannelRow): ChannelDto {
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      target: maskTarget(row.type, row.target),
      capsules: row.capsules,
      kinds: row.kinds,
      tags: row.tags,
      healthy: row.consecutive_failures < UNHEALTHY_AFTER_FAILURES,
      consecutive_failures: row.consecutive_failures,
      last_success_at: row.last_success_at?.toISOString() ?? null,
      last_failure_at: row.last_failure_at?.toISOString() ?? null,
      created_at: row.created_at.toISOString(),
    };
  }
}

export class CreatedChannelDto extends ChannelDto {
  @ApiPropertyOptional({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'Webhooks only, in this answer only: the Standard Webhooks secret that signs its messages',
  })
  secret?: string;
}

export class TestSendDto {
  @ApiProperty({ example: true })
  delivered!: boolean;

  @ApiProperty({
    example: 200,
    nullable: true,
    type: Number,
    description: 'The receiver’s HTTP status, if it answered',
  })
  status_code!: number | null;

  @ApiProperty({ example: null, nullable: true, type: String, description: 'Why it was not delivered' })
  error!: string | null;

  @ApiProperty({ example: 'msg_2b7f0d6e4c1a4b9e8f3a5d7c9e1b3a5d', description: 'The webhook-id it was sent with' })
  message_id!: string;
}

/** A channel's destination as answers show it: enough to recognise, not enough to use. */
export function maskTarget(type: ChannelType, target: string): string {
  if (type === 'email') {
    const [user, domain] = target.split('@');
    return `${user.slice(0, 1)}…@${domain}`;
  }
  try {
    const url = new URL(target);
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return '…';
  }
}
