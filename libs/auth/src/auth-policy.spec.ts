import { authStartupVerdict } from './auth-policy';

const NO_KEYS = { environmentKeys: 0, databaseKeys: 0 };

describe('authStartupVerdict', () => {
  it('starts the local setup without keys, open, and says so', () => {
    const verdict = authStartupVerdict({ nodeEnv: 'development', host: '127.0.0.1', authDisabled: false }, NO_KEYS);
    expect(verdict).toMatchObject({ start: true, level: 'info' });
    expect(verdict.message).toContain('open access');
  });

  it.each([
    ['production on loopback', { nodeEnv: 'production' as const, host: '127.0.0.1' }],
    ['a public host', { nodeEnv: 'development' as const, host: '0.0.0.0' }],
  ])('refuses %s without keys', (_case, setup) => {
    const verdict = authStartupVerdict({ ...setup, authDisabled: false }, NO_KEYS);
    expect(verdict).toMatchObject({ start: false, level: 'error' });
    expect(verdict.message).toContain('refusing to start without API keys');
  });

  it('starts anywhere with keys from the environment or the database', () => {
    const prod = { nodeEnv: 'production' as const, host: '0.0.0.0', authDisabled: false };
    expect(authStartupVerdict(prod, { environmentKeys: 1, databaseKeys: 0 })).toMatchObject({
      start: true,
      level: 'info',
    });
    expect(authStartupVerdict(prod, { environmentKeys: 0, databaseKeys: 2 }).message).toBe(
      'API keys required (0 from the environment, 2 in the database)',
    );
  });

  it('starts with AUTH_DISABLED, with a warning', () => {
    const verdict = authStartupVerdict({ nodeEnv: 'production', host: '0.0.0.0', authDisabled: true }, NO_KEYS);
    expect(verdict).toMatchObject({ start: true, level: 'warn' });
    expect(verdict.message).toContain('AUTH_DISABLED=true');
  });
});
