import type { NotificationPayload } from '../notification-payload';
import { emailMessage, headline, messageIdHeader, slackMessage } from './channel-sender';
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
