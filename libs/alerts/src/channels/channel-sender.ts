import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { APP_CONFIG, type AppConfig } from '@app/common';
import type { NotificationPayload } from '../notification-payload';
import { postJson } from './http-post';
import { webhookHeaders } from './standard-webhooks';

export const CHANNEL_TYPES = ['webhook', 'slack', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** One message to send on one channel. */
export interface Delivery {
  /** The notification's message id: the webhook-id receivers deduplicate on. */
  messageId: string;
  type: ChannelType;
  /** The URL, or the e-mail address. */
  target: string;
  secret: string | null;
  payload: NotificationPayload;
}

/** What a send came to: delivered, or why not (a status code when the receiver answered). */
export interface SendOutcome {
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
}

/**
 * Sends one notification on its channel: a webhook (Standard Webhooks: signed JSON), a Slack
 * incoming webhook (its message format), or an e-mail over SMTP_URL. Never throws: an outcome
 * says what happened, in words that carry neither the channel's URL nor its secret.
 */
@Injectable()
export class ChannelSender implements OnModuleDestroy {
  private mailer: Transporter | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async send(delivery: Delivery, now: Date): Promise<SendOutcome> {
    try {
      if (delivery.type === 'email') return await this.email(delivery);
      const body = JSON.stringify(delivery.type === 'slack' ? slackMessage(delivery.payload) : delivery.payload);
      const headers =
        delivery.type === 'webhook' && delivery.secret
          ? webhookHeaders(delivery.secret, messageIdHeader(delivery.messageId), body, now)
          : {};
      const { statusCode } = await postJson(new URL(delivery.target), body, {
        timeoutMs: this.config.alertsDeliveryTimeoutMs,
        allowPrivate: this.config.alertsAllowPrivateDestinations,
        headers,
      });
      const delivered = statusCode >= 200 && statusCode < 300;
      return { delivered, statusCode, error: delivered ? null : `the receiver answered HTTP ${statusCode}` };
    } catch (error) {
      return { delivered: false, statusCode: null, error: safeError(error, delivery, this.config.smtpUrl) };
    }
  }

  onModuleDestroy(): void {
    this.mailer?.close();
  }

  private async email(delivery: Delivery): Promise<SendOutcome> {
    if (!this.config.smtpUrl) return { delivered: false, statusCode: null, error: 'SMTP_URL is not set' };
    this.mailer ??= createTransport(this.config.smtpUrl, {
      connectionTimeout: this.config.alertsDeliveryTimeoutMs,
      greetingTimeout: this.config.alertsDeliveryTimeoutMs,
      socketTimeout: this.config.alertsDeliveryTimeoutMs,
    });
    const { subject, text } = emailMessage(delivery.payload);
    // nodemailer's timeouts are per phase; the whole send gets one deadline (inside the claim's lease).
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            Object.assign(new Error(`no answer within ${this.config.alertsDeliveryTimeoutMs} ms`), {
              code: 'ETIMEDOUT',
            }),
          ),
        this.config.alertsDeliveryTimeoutMs,
      );
    });
    try {
      await Promise.race([
        this.mailer.sendMail({
          from: this.config.alertsEmailFrom,
          to: delivery.target,
          subject,
          text,
          headers: { 'X-Capsules-Notification-Id': messageIdHeader(delivery.messageId) },
        }),
        deadline,
      ]);
    } finally {
      clearTimeout(timer);
    }
    return { delivered: true, statusCode: null, error: null };
  }
}

/** `msg_` + the message's uuid without dashes: the form Standard Webhooks' examples use. */
export function messageIdHeader(messageId: string): string {
  return `msg_${messageId.replaceAll('-', '')}`;
}

/** One line that says what happened to a notification, e.g. for a Slack message or a subject. */
export function headline(p: NotificationPayload): string {
  if (p.type === 'test') return `Test notification from Capsules`;
  const what = p.to === 'down' ? 'is DOWN' : p.to === 'up' ? 'is back UP' : `is ${p.to}`;
  return `${p.capsule.title} (${p.capsule.slug}) ${what}: ${p.reason.replaceAll('_', ' ')}`;
}

function details(p: NotificationPayload): string[] {
  return [
    `At: ${p.at}`,
    ...(p.run
      ? [
          `Run ${p.run.id}: ${p.run.status}` +
            (p.run.exit_code !== null ? `, exit code ${p.run.exit_code}` : '') +
            (p.run.duration_ms !== null ? `, ${(p.run.duration_ms / 1000).toFixed(1)} s` : ''),
          ...(p.run.message_excerpt ? [`Message: ${p.run.message_excerpt}`] : []),
        ]
      : []),
    ...(p.next_expected_run ? [`Next expected run: ${p.next_expected_run}`] : []),
    ...(p.link ? [p.link] : []),
  ];
}

/** Slack's incoming-webhook format: a `text` fallback and a section block. */
export function slackMessage(p: NotificationPayload): object {
  const text = headline(p);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${escapeSlack(text)}*` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: details(p).map(escapeSlack).join('\n') }] },
    ],
  };
}

export function emailMessage(p: NotificationPayload): { subject: string; text: string } {
  return { subject: `[capsules] ${headline(p)}`, text: [headline(p), '', ...details(p), ''].join('\n') };
}

function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * An error as attempt text: code and message, capped, without the channel's URL or secret, nor
 * SMTP_URL or its password (it may carry credentials; as written, as parsed, and decoded).
 */
export function safeError(error: unknown, delivery: Pick<Delivery, 'target' | 'secret'>, smtpUrl?: string): string {
  const e = error as { code?: unknown; message?: unknown };
  let text = `${typeof e.code === 'string' ? `${e.code}: ` : ''}${typeof e.message === 'string' ? e.message : String(error)}`;
  // Longest first, so a URL goes whole before a part of it (its password) is taken out of it.
  const secrets = [delivery.target, delivery.secret, ...smtpSecrets(smtpUrl)]
    .filter((secret): secret is string => Boolean(secret))
    .sort((a, b) => b.length - a.length);
  for (const secret of secrets) text = text.replaceAll(secret, '[redacted]');
  try {
    const url = new URL(delivery.target);
    if (url.pathname.length > 1) text = text.replaceAll(url.pathname, '/[redacted]');
  } catch {
    // an e-mail address
  }
  return text.slice(0, 300);
}

/** SMTP_URL as written and as parsed, and its password as written and decoded. */
function smtpSecrets(smtpUrl: string | undefined): string[] {
  if (!smtpUrl) return [];
  const secrets = [smtpUrl];
  try {
    const url = new URL(smtpUrl);
    secrets.push(url.href);
    if (url.password) {
      secrets.push(url.password);
      try {
        secrets.push(decodeURIComponent(url.password));
      } catch {
        // not percent-encoded as a whole: the password as written is taken out already
      }
    }
  } catch {
    // not a URL (the configuration checks it): taken out as written
  }
  return secrets;
}
