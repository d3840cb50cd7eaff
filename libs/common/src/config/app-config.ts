/**
 * The service's configuration, read once from the environment at boot.
 * Every variable is documented in the README; a bad value stops the boot with
 * a message that names the variable.
 */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** External PostgreSQL; unset means the embedded server. */
  databaseUrl?: string;
  /** Directory for local state (the embedded cluster lives in `<dataDir>/postgres`). */
  dataDir: string;
  embeddedPostgresPort: number;
  dbPoolSize: number;
  dbConnectionTimeoutMs: number;
  dbStatementTimeoutMs: number;
  migrateOnBoot: boolean;
  /** Allowed browser origins; `['*']` allows any. */
  corsOrigins: string[];
  bodyLimitBytes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const config: AppConfig = {
    nodeEnv: read.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development'),
    host: read.string('HOST', '127.0.0.1'),
    port: read.int('PORT', 8080, 0, 65535),
    databaseUrl: read.postgresUrl('DATABASE_URL'),
    dataDir: read.string('DATA_DIR', '.data'),
    embeddedPostgresPort: read.int('EMBEDDED_POSTGRES_PORT', 54329, 1, 65535),
    dbPoolSize: read.int('DB_POOL_SIZE', 10, 1, 200),
    dbConnectionTimeoutMs: read.int('DB_CONNECTION_TIMEOUT_MS', 5000, 100, 120_000),
    dbStatementTimeoutMs: read.int('DB_STATEMENT_TIMEOUT_MS', 15_000, 0, 3_600_000),
    migrateOnBoot: read.bool('MIGRATE_ON_BOOT', true),
    corsOrigins: read.list('CORS_ORIGINS', ['http://localhost:3000', 'http://localhost:3001']),
    bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 65_536, 1024, 10_485_760),
    logLevel: read.oneOf(
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      env.NODE_ENV === 'test' ? 'silent' : 'info',
    ),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }

  list(name: string, fallback: string[]): string[] {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }

  postgresUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') return value;
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be a postgres:// or postgresql:// URL`);
    return undefined;
  }
}
