import { ConfigError, loadConfig } from '@app/common';
import { hashApiKey } from './api-key-format';
import { parseConfiguredApiKeys } from './configured-api-keys';

function problemsOf(work: () => unknown): string[] {
  try {
    work();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('parseConfiguredApiKeys', () => {
  it('has no keys when neither API_KEYS nor API_KEYS_FILE is set', () => {
    expect(parseConfiguredApiKeys(loadConfig({}))).toEqual([]);
  });

  it('reads API_KEYS: comma-separated name:scope:key entries, keeping only their hashes', () => {
    const config = loadConfig({
      API_KEYS: 'ci-runner:write:0123456789abcdef0123456789abcdef, dash:read:fedcba9876543210fedcba9876543210',
    });
    expect(parseConfiguredApiKeys(config)).toEqual([
      { name: 'ci-runner', scope: 'write', hash: hashApiKey('0123456789abcdef0123456789abcdef') },
      { name: 'dash', scope: 'read', hash: hashApiKey('fedcba9876543210fedcba9876543210') },
    ]);
  });

  it('keeps colons after the scope as part of the key', () => {
    const [key] = parseConfiguredApiKeys({ apiKeys: 'ops:admin:abc:0123456789abcdef0123456789' });
    expect(key).toEqual({ name: 'ops', scope: 'admin', hash: hashApiKey('abc:0123456789abcdef0123456789') });
  });

  it('reads keys from API_KEYS_FILE, one per line, skipping blanks and comments', () => {
    const config = loadConfig(
      { API_KEYS_FILE: '/run/secrets/keys' },
      {
        readFile: () =>
          '# keys\nrunner:write:0123456789abcdef0123456789abcdef\r\n\nops:admin:abcdefabcdefabcdefabcdefabcdef\n',
      },
    );
    const keys = parseConfiguredApiKeys(config);
    expect(keys.map(({ name, scope }) => `${name}:${scope}`)).toEqual(['runner:write', 'ops:admin']);
    expect(keys[0].hash).toEqual(hashApiKey('0123456789abcdef0123456789abcdef'));
  });

  it('takes keys from both API_KEYS and API_KEYS_FILE', () => {
    const keys = parseConfiguredApiKeys({
      apiKeys: 'dash:read:fedcba9876543210fedcba9876543210',
      apiKeysFile: { path: '/run/secrets/keys', contents: 'runner:write:0123456789abcdef0123456789abcdef' },
    });
    expect(keys.map(({ name }) => name)).toEqual(['dash', 'runner']);
  });

  it('rejects bad key entries by position without echoing the key, and duplicate names', () => {
    const problems = problemsOf(() =>
      parseConfiguredApiKeys({
        apiKeys:
          'no-scope-here, x:superuser:0123456789abcdef0123456789abcdef, short:read:tooshort-secret, a:read:0123456789abcdef0123456789abcdef, a:write:0123456789abcdef0123456789abcdeg',
      }),
    );
    const message = new ConfigError(problems).message;
    expect(problems).toEqual([
      'API_KEYS entry 1 (no-scope-here): the scope must be read, write or admin',
      'API_KEYS entry 2 (x): the scope must be read, write or admin',
      'API_KEYS entry 3 (short): the key must be at least 24 characters',
      'API_KEYS / API_KEYS_FILE name a key twice: a',
    ]);
    expect(message).not.toContain('tooshort-secret');
    expect(message).not.toContain('0123456789abcdef');
  });

  it('names the format when an entry’s name is bad', () => {
    expect(problemsOf(() => parseConfiguredApiKeys({ apiKeys: 'bad name!:read:0123456789abcdef0123456789' }))).toEqual([
      'API_KEYS entry 1: the name must be 1-100 letters, digits or . _ @ - (starting with a letter or digit) (format name:scope:key)',
    ]);
  });

  it('counts API_KEYS_FILE entries by line, blank and comment lines included', () => {
    expect(
      problemsOf(() =>
        parseConfiguredApiKeys({
          apiKeysFile: {
            path: '/k',
            contents: '# keys\n\nrunner:write:short-secret\nrunner:read:0123456789abcdef0123456789',
          },
        }),
      ),
    ).toEqual(['API_KEYS_FILE entry 3 (runner): the key must be at least 24 characters']);
    expect(
      problemsOf(() =>
        parseConfiguredApiKeys({
          apiKeys: 'ops:read:0123456789abcdef0123456789abcdef',
          apiKeysFile: { path: '/k', contents: 'ops:write:fedcba9876543210fedcba9876543210' },
        }),
      ),
    ).toEqual(['API_KEYS / API_KEYS_FILE name a key twice: ops']);
  });

  it('stops the boot with the configuration’s other problems when loadConfig runs it as a check', () => {
    let error: unknown;
    try {
      loadConfig(
        { PORT: 'eighty', API_KEYS: 'x:superuser:0123456789abcdef0123456789abcdef' },
        { checks: [parseConfiguredApiKeys] },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      'Invalid configuration:\n' +
        '  - PORT must be a whole number from 0 to 65535 (got "eighty")\n' +
        '  - API_KEYS entry 1 (x): the scope must be read, write or admin',
    );
    expect(() =>
      loadConfig({ API_KEYS: 'ops:admin:0123456789abcdef0123456789abcdef' }, { checks: [parseConfiguredApiKeys] }),
    ).not.toThrow();
  });
});
