import { hashApiKey } from '@app/common';
import { authStartupVerdict } from './auth-policy';

const KEY = { name: 'ci', scope: 'write' as const, hash: hashApiKey('x'.repeat(32)) };

describe('authStartupVerdict', () => {
  it('starts the local setup without keys, open, and says so', () => {
    const verdict = authStartupVerdict(
      { nodeEnv: 'development', host: '127.0.0.1', authDisabled: false, apiKeys: [] },
      0,
    );
    expect(verdict).toMatchObject({ start: true, level: 'info' });
    expect(verdict.message).toContain('open access');
  });

  it.each([
    ['production on loopback', { nodeEnv: 'production' as const, host: '127.0.0.1' }],
    ['a public host', { nodeEnv: 'development' as const, host: '0.0.0.0' }],
  ])('refuses %s without keys', (_case, setup) => {
    const verdict = authStartupVerdict({ ...setup, authDisabled: false, apiKeys: [] }, 0);
    expect(verdict).toMatchObject({ start: false, level: 'error' });
    expect(verdict.message).toContain('refusing to start without API keys');
  });

  it('starts anywhere with keys from the environment or the database', () => {
    const prod = { nodeEnv: 'production' as const, host: '0.0.0.0', authDisabled: false };
    expect(authStartupVerdict({ ...prod, apiKeys: [KEY] }, 0)).toMatchObject({ start: true, level: 'info' });
    expect(authStartupVerdict({ ...prod, apiKeys: [] }, 2).message).toBe(
      'API keys required (0 from the environment, 2 in the database)',
    );
  });

  it('starts with AUTH_DISABLED, with a warning', () => {
    const verdict = authStartupVerdict({ nodeEnv: 'production', host: '0.0.0.0', authDisabled: true, apiKeys: [] }, 0);
    expect(verdict).toMatchObject({ start: true, level: 'warn' });
    expect(verdict.message).toContain('AUTH_DISABLED=true');
  });
});
