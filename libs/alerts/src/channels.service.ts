import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type FieldError, RequestValidationError } from '@app/common';
import { ChannelNameTakenError, ChannelNotFoundError } from './alerts.errors';
import { literalRefusal } from './channels/destination';
import { newWebhookSecret } from './channels/standard-webhooks';
import { type ChannelRow, ChannelsRepository } from './channels.repository';
import type { CreateChannelDto, UpdateChannelDto } from './dto/channel.dto';
import { NotificationDelivery } from './notification-delivery';
import { messageIdHeader, type SendOutcome } from './channels/channel-sender';
import { buildPayload } from './notification-payload';
import { NotificationsRepository } from './notifications.repository';

/** Channels: created, listed, changed, deleted, and tried with a test send. */
@Injectable()
export class ChannelsService {
  constructor(
    private readonly channels: ChannelsRepository,
    private readonly outbox: NotificationsRepository,
    private readonly delivery: NotificationDelivery,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The new channel and, for a webhook, its signing secret (shown this once). */
  async create(input: CreateChannelDto): Promise<{ channel: ChannelRow; secret?: string }> {
    if (input.type === 'email' && !this.config.smtpUrl) {
      throw new RequestValidationError([
        { field: 'type', message: 'email channels need SMTP_URL, which this server does not set' },
      ]);
    }
    const target = input.type === 'email' ? input.to! : input.url!;
    this.checkTarget(input.type === 'email' ? 'to' : 'url', input.type === 'email' ? undefined : target);
    const secret = input.type === 'webhook' ? newWebhookSecret() : null;
    const channel = await this.channels.insert({
      name: input.name,
      type: input.type,
      target,
      secret,
      capsules: input.capsules ?? [],
      kinds: input.kinds ?? [],
      tags: input.tags ?? [],
    });
    if (!channel) throw new ChannelNameTakenError(input.name);
    return { channel, secret: secret ?? undefined };
  }

  list(): Promise<ChannelRow[]> {
    return this.channels.list();
  }

  async get(id: string): Promise<ChannelRow> {
    const channel = isChannelId(id) ? await this.channels.find(Number(id)) : undefined;
    if (!channel) throw new ChannelNotFoundError(id);
    return channel;
  }

  async update(id: string, input: UpdateChannelDto): Promise<ChannelRow> {
    const current = await this.get(id);
    const errors: FieldError[] = [];
    if (current.type === 'email' && input.url !== undefined)
      errors.push({ field: 'url', message: 'an email channel has no url' });
    if (current.type !== 'email' && input.to !== undefined)
      errors.push({ field: 'to', message: `a ${current.type} channel has no to` });
    if (errors.length) throw new RequestValidationError(errors);
    if (input.url !== undefined) this.checkTarget('url', input.url);
    const result = await this.channels.update(current.id, {
      name: input.name,
      target: input.url ?? input.to,
      capsules: input.capsules,
      kinds: input.kinds,
      tags: input.tags,
    });
    switch (result.outcome) {
      case 'updated':
        return result.channel;
      case 'not-found':
        throw new ChannelNotFoundError(id);
      case 'name-taken':
        throw new ChannelNameTakenError(input.name ?? current.name);
    }
  }

  async remove(id: string): Promise<void> {
    if (!isChannelId(id) || !(await this.channels.delete(Number(id)))) throw new ChannelNotFoundError(id);
  }

  /** Sends a test notification now, once (no retries), and says how it went; logged like any. */
  async test(id: string): Promise<SendOutcome & { messageId: string }> {
    const channel = await this.get(id);
    const now = new Date();
    const payload = buildPayload({
      flipId: null,
      type: 'test',
      flip: { from: 'up', to: 'up', reason: 'recovered', at: now },
      capsule: { slug: 'test', title: 'Test notification', kind: 'test' },
      run: null,
      nextExpected: null,
      linkTemplate: this.config.alertsLinkTemplate,
    });
    const row = await this.outbox.createTest(channel.id, { ...payload, reason: 'test' }, this.delivery.leaseMs);
    if (!row) throw new ChannelNotFoundError(id);
    return { ...(await this.delivery.attempt(row)), messageId: messageIdHeader(row.message_id) };
  }

  /** A URL that is a forbidden IP literal is refused here already (names are checked when sent). */
  private checkTarget(field: string, url: string | undefined): void {
    if (url === undefined) return;
    const refused = literalRefusal(new URL(url), this.config.alertsAllowPrivateDestinations);
    const local = !this.config.alertsAllowPrivateDestinations && /^localhost\.?$/i.test(new URL(url).hostname);
    if (refused || local) {
      throw new RequestValidationError([
        {
          field,
          message: `${field} must not point to a private, loopback or link-local address (ALERTS_ALLOW_PRIVATE_DESTINATIONS is off)`,
        },
      ]);
    }
  }
}

function isChannelId(id: string): boolean {
  return /^[1-9]\d{0,8}$/.test(id) && Number(id) <= 2_147_483_647;
}
