import { ConfigError, isLocalSetup, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('has working defaults for the local embedded setup', () => {
    expect(loadConfig({})).toMatchObject({
      nodeEnv: 'development',
      host: '127.0.0.1',
      port: 8080,
      databaseUrl: undefined,
      dataDir: '.data',
      dbPoolSize: 10,
      migrateOnBoot: true,
      corsOrigins: ['http://localhost:3000', 'http://localhost:3001'],
      bodyLimitBytes: 65536,
      batchBodyLimitBytes: 4194304,
      logLevel: 'info',
    });
  });

  it('allows no browser origin in production unless CORS_ORIGINS names some', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).corsOrigins).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'production', CORS_ORIGINS: 'https://a.example' }).corsOrigins).toEqual([
      'https://a.example',
    ]);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      PORT: '9000',
      DATABASE_URL: 'postgres://u:p@db:5432/capsules',
      DATA_DIR: '/var/lib/capsules',
      EMBEDDED_POSTGRES_PORT: '6000',
      DB_POOL_SIZE: '20',
      DB_CONNECTION_TIMEOUT_MS: '2000',
      DB_STATEMENT_TIMEOUT_MS: '4000',
      MIGRATE_ON_BOOT: 'false',
      MIGRATION_LOCK_TIMEOUT_MS: '2500',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      BODY_LIMIT_BYTES: '2048',
      BATCH_BODY_LIMIT_BYTES: '1048576',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'pretty',
      API_KEYS: 'ci-runner:write:0123456789abcdef0123456789abcdef, dash:read:fedcba9876543210fedcba9876543210',
      AUTH_DISABLED: 'false',
      METRICS_PUBLIC: 'true',
      TRUST_PROXY: '1',
      RATE_LIMIT_PER_IP: '100',
      RATE_LIMIT_PER_KEY: '0',
      REQUEST_TIMEOUT_MS: '5000',
      SHUTDOWN_DRAIN_MS: '2500',
      SHUTDOWN_DELAY_MS: '3000',
      ALERTS_POLL_INTERVAL_MS: '2000',
      SLOTS_POLL_INTERVAL_MS: '1000',
      WINDOW_BASES_POLL_INTERVAL_MS: '120000',
      ALERTS_LINK_TEMPLATE: 'https://dash.example/capsules/{slug}',
      ALERTS_ALLOW_PRIVATE_DESTINATIONS: 'true',
      ALERTS_RETRY_BASE_MS: '500',
      ALERTS_MAX_ATTEMPTS: '5',
      ALERTS_DELIVERY_TIMEOUT_MS: '3000',
      SMTP_URL: 'smtps://alerts:pw@mail.example:465',
      ALERTS_EMAIL_FROM: 'capsules@example.com',
    });
    expect(config).toEqual({
      nodeEnv: 'production',
      host: '0.0.0.0',
      port: 9000,
      databaseUrl: 'postgres://u:p@db:5432/capsules',
      dataDir: '/var/lib/capsules',
      embeddedPostgresPort: 6000,
      dbPoolSize: 20,
      dbConnectionTimeoutMs: 2000,
      dbStatementTimeoutMs: 4000,
      migrateOnBoot: false,
      migrationLockTimeoutMs: 2500,
      corsOrigins: ['https://a.example', 'https://b.example'],
      bodyLimitBytes: 2048,
      batchBodyLimitBytes: 1048576,
      logLevel: 'debug',
      logFormat: 'pretty',
      apiKeys: 'ci-runner:write:0123456789abcdef0123456789abcdef, dash:read:fedcba9876543210fedcba9876543210',
      authDisabled: false,
      metricsPublic: true,
      trustProxy: 1,
      rateLimitPerIp: 100,
      rateLimitPerKey: 0,
      requestTimeoutMs: 5000,
      shutdownDrainMs: 2500,
      shutdownDelayMs: 3000,
      alertsPollIntervalMs: 2000,
      slotsPollIntervalMs: 1000,
      windowBasesPollIntervalMs: 120000,
      alertsLinkTemplate: 'https://dash.example/capsules/{slug}',
      alertsAllowPrivateDestinations: true,
      alertsRetryBaseMs: 500,
      alertsMaxAttempts: 5,
      alertsDeliveryTimeoutMs: 3000,
      smtpUrl: 'smtps://alerts:pw@mail.example:465',
      alertsEmailFrom: 'capsules@example.com',
    });
  });

  it('refuses private alert destinations in production unless allowed, and checks SMTP_URL', () => {
    expect(loadConfig({ NODE_ENV: 'production', HOST: '127.0.0.1' }).alertsAllowPrivateDestinations).toBe(false);
    expect(loadConfig({}).alertsAllowPrivateDestinations).toBe(true);
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example' })).toThrow('SMTP_URL must be a smtp:// or smtps:// URL');
  });

  it('keeps API_KEYS as given and reads the API_KEYS_FILE once, at load (@app/auth parses them)', () => {
    const readFile = jest.fn(() => 'runner:write:0123456789abcdef0123456789abcdef\n');
    const config = loadConfig({ API_KEYS: '  anything, at all  ', API_KEYS_FILE: '/run/secrets/keys' }, { readFile });
    expect(config.apiKeys).toBe('anything, at all');
    expect(config.apiKeysFile).toEqual({
      path: '/run/secrets/keys',
      contents: 'runner:write:0123456789abcdef0123456789abcdef\n',
    });
    expect(readFile).toHaveBeenCalledWith('/run/secrets/keys');
    expect(loadConfig({ API_KEYS: ' ' })).toMatchObject({ apiKeys: undefined, apiKeysFile: undefined });
  });

  it('fails clearly when API_KEYS_FILE cannot be read', () => {
    expect(() => loadConfig({ API_KEYS_FILE: '/nonexistent/capsules-keys' })).toThrow(
      'API_KEYS_FILE: cannot read /nonexistent/capsules-keys (ENOENT)',
    );
  });

  it('logs pretty only in a terminal outside production, JSON otherwise', () => {
    expect(loadConfig({}, { stdoutIsTerminal: true }).logFormat).toBe('pretty');
    expect(loadConfig({}, { stdoutIsTerminal: false }).logFormat).toBe('json');
    expect(
      loadConfig(
        { NODE_ENV: 'production', API_KEYS: 'a:read:0123456789abcdef0123456789abcdef' },
        { stdoutIsTerminal: true },
      ).logFormat,
    ).toBe('json');
  });

  it('wants statements cancelled before their request times out', () => {
    expect(() => loadConfig({ DB_STATEMENT_TIMEOUT_MS: '30000', REQUEST_TIMEOUT_MS: '30000' })).toThrow(
      'DB_STATEMENT_TIMEOUT_MS (30000) must be above 0 and below REQUEST_TIMEOUT_MS (30000)',
    );
    expect(() => loadConfig({ DB_STATEMENT_TIMEOUT_MS: '0' })).toThrow(
      'DB_STATEMENT_TIMEOUT_MS must be a whole number from 1',
    );
  });

  it('trusts proxies by hop count or address, never blindly', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow('"true" would let any client choose its address');
    expect(() => loadConfig({ TRUST_PROXY: 'proxy.internal' })).toThrow('TRUST_PROXY must be false');
  });

  it('tells loopback from other hosts', () => {
    expect(isLocalSetup({ nodeEnv: 'development', host: '127.0.0.1' })).toBe(true);
    expect(isLocalSetup({ nodeEnv: 'development', host: '::1' })).toBe(true);
    expect(isLocalSetup({ nodeEnv: 'development', host: 'localhost' })).toBe(true);
    expect(isLocalSetup({ nodeEnv: 'production', host: '127.0.0.1' })).toBe(false);
    expect(isLocalSetup({ nodeEnv: 'development', host: '0.0.0.0' })).toBe(false);
    expect(isLocalSetup({ nodeEnv: 'test', host: '10.0.0.5' })).toBe(false);
  });

  it('reports the problems of the checks it is given with its own, and rethrows other errors', () => {
    const check = jest.fn(() => {
      throw new ConfigError(['FEATURE_X is wrong']);
    });
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty' }, { checks: [check] });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems).toEqual([
      'PORT must be a whole number from 0 to 65535 (got "eighty")',
      'FEATURE_X is wrong',
    ]);
    expect(check).toHaveBeenCalledWith(expect.objectContaining({ port: 8080 }));
    expect(loadConfig({}, { checks: [() => 'fine'] }).port).toBe(8080);
    expect(() =>
      loadConfig(
        {},
        {
          checks: [
            () => {
              throw new TypeError('a bug');
            },
          ],
        },
      ),
    ).toThrow(TypeError);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', MIGRATE_ON_BOOT: 'maybe', NODE_ENV: 'staging' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'DATABASE_URL', 'MIGRATE_ON_BOOT', 'NODE_ENV']) expect(message).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(4);
  });
});
