import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

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
  /** How long a migration statement waits for a table lock before the run gives up (0 = forever). */
  migrationLockTimeoutMs: number;
  /** Allowed browser origins; `['*']` allows any. */
  corsOrigins: string[];
  bodyLimitBytes: number;
  /** The body limit of POST /api/capsules/runs/batch (up to 1,000 reports). */
  batchBodyLimitBytes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** JSON lines (default) or human-readable lines (default when stdout is a terminal outside production). */
  logFormat: 'json' | 'pretty';
  /**
   * API_KEYS as given (`name:scope:key` entries, comma-separated), for @app/auth to parse and
   * hash; more keys live in the database (`npm run apikey`).
   */
  apiKeys?: string;
  /** API_KEYS_FILE: its path and its contents (`name:scope:key` lines), read at boot for @app/auth. */
  apiKeysFile?: { path: string; contents: string };
  /** AUTH_DISABLED: every route open to anyone (warned about on every start). */
  authDisabled: boolean;
  /** METRICS_PUBLIC: /metrics without a key (otherwise it needs a read key). */
  metricsPublic: boolean;
  /**
   * TRUST_PROXY: which proxies may set X-Forwarded-For: false (none), a hop count (the last N
   * entries were added by our own proxies: 1 behind Cloud Run or one ingress), or addresses/CIDRs.
   */
  trustProxy: false | number | string[];
  /** Requests per minute per client address (anonymous callers and bad keys); 0 = no limit. */
  rateLimitPerIp: number;
  /** Requests per minute per API key; 0 = no limit. */
  rateLimitPerKey: number;
  /** Longest a request may take, from its first byte to its answer (503 after). */
  requestTimeoutMs: number;
  /** After SIGTERM, how long in-flight requests may take before their connections are cut. */
  shutdownDrainMs: number;
  /** After SIGTERM, how long to keep serving (readiness already 503) before the listener closes. */
  shutdownDelayMs: number;
  /** How often the alert detector and the notification delivery look for work at most; 0 = off here. */
  alertsPollIntervalMs: number;
  /** How often the slot closer looks for slots to settle at most; 0 = off here. */
  slotsPollIntervalMs: number;
  /** How often the window-base keeper looks for bases to create at most; 0 = off here. */
  windowBasesPollIntervalMs: number;
  /** A link for notifications, `{slug}` replaced by the capsule's (e.g. a dashboard page). */
  alertsLinkTemplate?: string;
  /** Whether notifications may go to private, loopback and link-local addresses (SSRF guard). */
  alertsAllowPrivateDestinations: boolean;
  /** First retry delay of a failed delivery; doubled each attempt, with jitter, up to an hour. */
  alertsRetryBaseMs: number;
  /** Attempts per notification before it is given up as failed. */
  alertsMaxAttempts: number;
  /** Longest an outbound delivery (HTTP or SMTP) may take. */
  alertsDeliveryTimeoutMs: number;
  /** SMTP server for e-mail channels (smtp:// or smtps://, with credentials if it needs them). */
  smtpUrl?: string;
  /** The From address of alert e-mails. */
  alertsEmailFrom: string;
}

/** Loopback only and not production: the one setup that may run without API keys. */
export function isLocalSetup(config: Pick<AppConfig, 'nodeEnv' | 'host'>): boolean {
  return config.nodeEnv !== 'production' && isLoopbackHost(config.host);
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOCAL_DASHBOARD_ORIGINS = ['http://localhost:3000', 'http://localhost:3001'];

export interface LoadConfigOptions {
  stdoutIsTerminal?: boolean;
  readFile?: (path: string) => string;
  /**
   * Checks of values that a feature library reads from the raw configuration (e.g. @app/auth's
   * parseConfiguredApiKeys): the problems of a ConfigError one throws are reported with the
   * others, so a bad boot names every problem at once.
   */
  checks?: ((config: AppConfig) => unknown)[];
}

export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): AppConfig {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const nodeEnv = read.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const config: AppConfig = {
    nodeEnv,
    host: read.string('HOST', '127.0.0.1'),
    port: read.int('PORT', 8080, 0, 65535),
    databaseUrl: read.postgresUrl('DATABASE_URL'),
    dataDir: read.string('DATA_DIR', '.data'),
    embeddedPostgresPort: read.int('EMBEDDED_POSTGRES_PORT', 54329, 1, 65535),
    dbPoolSize: read.int('DB_POOL_SIZE', 10, 1, 200),
    dbConnectionTimeoutMs: read.int('DB_CONNECTION_TIMEOUT_MS', 5000, 100, 120_000),
    dbStatementTimeoutMs: read.int('DB_STATEMENT_TIMEOUT_MS', 15_000, 1, 3_600_000),
    migrateOnBoot: read.bool('MIGRATE_ON_BOOT', true),
    migrationLockTimeoutMs: read.int('MIGRATION_LOCK_TIMEOUT_MS', 10_000, 0, 3_600_000),
    // The old dashboards' dev servers locally; in production only origins someone named.
    corsOrigins: read.list('CORS_ORIGINS', nodeEnv === 'production' ? [] : LOCAL_DASHBOARD_ORIGINS),
    bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 65_536, 1024, 10_485_760),
    batchBodyLimitBytes: read.int('BATCH_BODY_LIMIT_BYTES', 4_194_304, 1024, 67_108_864),
    logLevel: read.oneOf(
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      env.NODE_ENV === 'test' ? 'silent' : 'info',
    ),
    logFormat: read.oneOf(
      'LOG_FORMAT',
      ['json', 'pretty'] as const,
      options.stdoutIsTerminal && nodeEnv !== 'production' ? 'pretty' : 'json',
    ),
    apiKeys: read.raw('API_KEYS'),
    apiKeysFile: read.file('API_KEYS_FILE', options.readFile),
    authDisabled: read.bool('AUTH_DISABLED', false),
    metricsPublic: read.bool('METRICS_PUBLIC', false),
    trustProxy: read.trustProxy('TRUST_PROXY'),
    rateLimitPerIp: read.int('RATE_LIMIT_PER_IP', 600, 0, 1_000_000),
    rateLimitPerKey: read.int('RATE_LIMIT_PER_KEY', 6000, 0, 1_000_000),
    requestTimeoutMs: read.int('REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000),
    shutdownDrainMs: read.int('SHUTDOWN_DRAIN_MS', 10_000, 0, 600_000),
    shutdownDelayMs: read.int('SHUTDOWN_DELAY_MS', 0, 0, 60_000),
    alertsPollIntervalMs: read.int('ALERTS_POLL_INTERVAL_MS', 5_000, 0, 3_600_000),
    slotsPollIntervalMs: read.int('SLOTS_POLL_INTERVAL_MS', 5_000, 0, 3_600_000),
    windowBasesPollIntervalMs: read.int('WINDOW_BASES_POLL_INTERVAL_MS', 60_000, 0, 3_600_000),
    alertsLinkTemplate: read.raw('ALERTS_LINK_TEMPLATE'),
    // Loopback receivers are how one tries alerts locally; in production they are an SSRF hole.
    alertsAllowPrivateDestinations: read.bool('ALERTS_ALLOW_PRIVATE_DESTINATIONS', nodeEnv !== 'production'),
    alertsRetryBaseMs: read.int('ALERTS_RETRY_BASE_MS', 10_000, 1, 3_600_000),
    alertsMaxAttempts: read.int('ALERTS_MAX_ATTEMPTS', 10, 1, 100),
    alertsDeliveryTimeoutMs: read.int('ALERTS_DELIVERY_TIMEOUT_MS', 10_000, 100, 120_000),
    smtpUrl: read.url('SMTP_URL', ['smtp:', 'smtps:']),
    alertsEmailFrom: read.string('ALERTS_EMAIL_FROM', 'capsules@localhost'),
  };
  if (config.dbStatementTimeoutMs === 0 || config.dbStatementTimeoutMs >= config.requestTimeoutMs) {
    problems.push(
      `DB_STATEMENT_TIMEOUT_MS (${config.dbStatementTimeoutMs}) must be above 0 and below REQUEST_TIMEOUT_MS ` +
        `(${config.requestTimeoutMs}), so a slow statement is cancelled before its request gives up`,
    );
  }
  for (const check of options.checks ?? []) {
    try {
      check(config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  raw(name: string): string | undefined {
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

  /** false, a hop count (1-10) or a list of proxy addresses/CIDRs; never "trust everyone". */
  trustProxy(name: string): false | number | string[] {
    const value = this.raw(name);
    if (value === undefined || ['false', '0', 'no', 'off'].includes(value.toLowerCase())) return false;
    if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 10) return Number(value);
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    if (
      entries.length > 0 &&
      entries.every((entry) => isIP(entry.split('/')[0]) !== 0 && /^[^/]+(\/\d{1,3})?$/.test(entry))
    ) {
      return entries;
    }
    this.problems.push(
      `${name} must be false, a hop count from 1 to 10, or proxy addresses/CIDRs (got "${value}"); ` +
        '"true" would let any client choose its address',
    );
    return false;
  }

  /** A file named by a variable: its path and contents (a problem when it cannot be read). */
  file(
    name: string,
    readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
  ): { path: string; contents: string } | undefined {
    const path = this.raw(name);
    if (path === undefined) return undefined;
    try {
      return { path, contents: readFile(path) };
    } catch (error) {
      this.problems.push(`${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  }

  /** A URL with one of `protocols` (e.g. `['smtp:', 'smtps:']`). */
  url(name: string, protocols: string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      if (protocols.includes(new URL(value).protocol)) return value;
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`);
    return undefined;
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
