import { ConfigError, loadConfig } from './app-config';

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
      logLevel: 'info',
    });
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
      DB_STATEMENT_TIMEOUT_MS: '0',
      MIGRATE_ON_BOOT: 'false',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      BODY_LIMIT_BYTES: '2048',
      LOG_LEVEL: 'debug',
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
      dbStatementTimeoutMs: 0,
      migrateOnBoot: false,
      corsOrigins: ['https://a.example', 'https://b.example'],
      bodyLimitBytes: 2048,
      logLevel: 'debug',
    });
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
