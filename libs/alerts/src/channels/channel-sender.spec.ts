import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '@app/common';
import type { NotificationPayload } from '../notification-payload';
import { ChannelSender, emailMessage, headline, messageIdHeader, safeError, slackMessage } from './channel-sender';
import { maskTarget } from '../dto/channel.dto';

const payload: NotificationPayload = {
  type: 'capsule.down',
  flip_id: 42,
  capsule: { slug: 'dawn-dispatch', title: 'Dawn <Dispatch>', kind: 'dispatch' },
  from: 'up',
  to: 'down',
  reason: 'failure_streak',
  at: '2026-12-02T06:00:41.000Z',
  run: {
    id: 1312,
    status: 'error',
    exit_code: 2,
    message_excerpt: 'boom',
    duration_ms: 41_000,
    started_at: '2026-12-02T06:00:00.000Z',
    completed_at: '2026-12-02T06:00:41.000Z',
  },
  next_expected_run: '2026-12-03T06:00:00.000Z',
  link: 'https://dash.example/c/dawn-dispatch',
};

describe('notification formats', () => {
  it('says what happened in one line', () => {
    expect(headline(payload)).toBe('Dawn <Dispatch> (dawn-dispatch) is DOWN: failure streak');
    expect(headline({ ...payload, to: 'up', reason: 'recovered' })).toBe(
      'Dawn <Dispatch> (dawn-dispatch) is back UP: recovered',
    );
  });

  it('Slack: a text fallback and escaped mrkdwn blocks', () => {
    const message = slackMessage(payload) as { text: string; blocks: { text?: { text: string } }[] };
    expect(message.text).toBe(headline(payload));
    expect(message.blocks[0].text?.text).toBe('*Dawn &lt;Dispatch&gt; (dawn-dispatch) is DOWN: failure streak*');
  });

  it('e-mail: the headline as subject, the details as text', () => {
    const { subject, text } = emailMessage(payload);
    expect(subject).toBe('[capsules] Dawn <Dispatch> (dawn-dispatch) is DOWN: failure streak');
    expect(text).toContain('Run 1312: error, exit code 2, 41.0 s');
    expect(text).toContain('Next expected run: 2026-12-03T06:00:00.000Z');
    expect(text).toContain('https://dash.example/c/dawn-dispatch');
  });

  it('message ids and masked targets', () => {
    expect(messageIdHeader('2b7f0d6e-4c1a-4b9e-8f3a-5d7c9e1b3a5d')).toBe('msg_2b7f0d6e4c1a4b9e8f3a5d7c9e1b3a5d');
    expect(maskTarget('slack', 'https://hooks.slack.com/services/T000/B000/XXXX')).toBe('https://hooks.slack.com/…');
    expect(maskTarget('email', 'oncall@example.com')).toBe('o…@example.com');
  });
});

describe('attempt error text (safeError)', () => {
  const smtpUrl = 'smtps://alerts:p%40ss%2Fw0rd@mail.example:465';

  it("takes out a webhook's URL path and secret", () => {
    const target = 'https://hooks.example.com/services/T000/B000/XXXX';
    const error = Object.assign(new Error(`POST ${target} failed; signed with whsec_c2VjcmV0`), { code: 'ECONNRESET' });
    expect(safeError(error, { target, secret: 'whsec_c2VjcmV0' })).toBe(
      'ECONNRESET: POST [redacted] failed; signed with [redacted]',
    );
  });

  it('takes out SMTP_URL (as written and parsed) and its password (as written and decoded)', () => {
    const error = Object.assign(
      new Error(`Invalid login via ${smtpUrl}: 535 no user alerts with p@ss/w0rd (p%40ss%2Fw0rd)`),
      { code: 'EAUTH' },
    );
    const text = safeError(error, { target: 'oncall@example.com', secret: null }, smtpUrl);
    expect(text).toBe('EAUTH: Invalid login via [redacted]: 535 no user alerts with [redacted] ([redacted])');
    expect(safeError(new Error(`at ${new URL(smtpUrl).href}`), { target: 'a@b.example', secret: null }, smtpUrl)).toBe(
      'at [redacted]',
    );
  });

  it('leaves an SMTP_URL without credentials harmless, and text without secrets as it was', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ESOCKET' });
    expect(safeError(error, { target: 'oncall@example.com', secret: null }, 'smtp://127.0.0.1:2525')).toBe(
      'ESOCKET: connect ECONNREFUSED 127.0.0.1:2525',
    );
    expect(safeError('x'.repeat(400), { target: 'oncall@example.com', secret: null })).toHaveLength(300);
  });

  it('an SMTP server that echoes the password in its refusal: the attempt text keeps none of it', async () => {
    // A real SMTP server on loopback that refuses every login, quoting the credentials back.
    const server = new SMTPServer({
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth: (auth, _session, callback) =>
        callback(new Error(`no user ${auth.username} with password ${auth.password ?? ''}`)),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as AddressInfo).port;
    const url = `smtp://alerts:p%40ss%2Fw0rd@127.0.0.1:${port}`;
    const sender = new ChannelSender({ ...loadConfig({ NODE_ENV: 'test' }), smtpUrl: url });
    try {
      const outcome = await sender.send(
        {
          messageId: '2b7f0d6e-4c1a-4b9e-8f3a-5d7c9e1b3a5d',
          type: 'email',
          target: 'oncall@example.com',
          secret: null,
          payload,
        },
        new Date(),
      );
      expect(outcome).toMatchObject({ delivered: false, statusCode: null });
      expect(outcome.error).toMatch(/^EAUTH: .*535/);
      expect(outcome.error).toContain('[redacted]');
      expect(outcome.error).not.toContain('p@ss');
      expect(outcome.error).not.toContain('w0rd');
    } finally {
      sender.onModuleDestroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
