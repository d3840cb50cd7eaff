import { newWebhookSecret, signWebhook, webhookHeaders } from './standard-webhooks';

describe('Standard Webhooks signing', () => {
  it('matches the test vector of the specification', () => {
    expect(
      signWebhook(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('makes 32-byte whsec_ secrets, and the three headers with the timestamp in seconds', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(newWebhookSecret()).not.toBe(secret);
    const headers = webhookHeaders(secret, 'msg_1', '{}', new Date('2026-12-02T06:00:00.900Z'));
    expect(headers).toEqual({
      'webhook-id': 'msg_1',
      'webhook-timestamp': '1796191200',
      'webhook-signature': signWebhook(secret, 'msg_1', 1796191200, '{}'),
    });
  });
});
