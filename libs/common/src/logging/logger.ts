import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { LoggerService } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';

/** pino levels → Cloud Logging severities (https://cloud.google.com/logging/docs/structured-logging). */
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/** Headers never written to a log. */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization'];

/**
 * The one pino logger of the process: JSON lines with `severity` (Cloud
 * Logging), `message` and an ISO `time`; human-readable lines when
 * LOG_FORMAT=pretty (the default in a terminal outside production) and
 * pino-pretty is installed (it is a dev dependency). `destination` is for tests.
 */
export function createLogger(
  config: Pick<AppConfig, 'logLevel' | 'logFormat'>,
  base: Record<string, unknown>,
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level: config.logLevel,
    base,
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT', level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  if (config.logFormat === 'pretty') {
    const pretty = loadPretty();
    if (pretty) {
      return pino(
        options,
        pretty({ colorize: true, messageKey: 'message', ignore: 'pid,hostname,severity,service,version', sync: true }),
      );
    }
  }
  return pino(options, pino.destination({ dest: 1, sync: false }));
}

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

function loadPretty(): PrettyFactory | undefined {
  try {
    const loaded = createRequire(__filename)('pino-pretty') as PrettyFactory | { default: PrettyFactory };
    return typeof loaded === 'function' ? loaded : loaded.default;
  } catch {
    return undefined;
  }
}

/**
 * Nest's own logger until the app's (nestjs-pino) takes over in configureApp:
 * warnings and errors as pino lines (JSON, or pretty), without the stack traces
 * Nest passes along, and nothing of the module-loading chatter. A retry is a
 * warning; Nest's report of the error that ends the boot is left to the boot's
 * own one-line reason. Without it, a boot that failed before configureApp (the
 * database down) printed 44 coloured console lines.
 */
export function bootLogger(logger: Logger): LoggerService {
  const line =
    (level: 'warn' | 'error') =>
    (message: unknown, ...rest: unknown[]) => {
      const last = rest[rest.length - 1];
      const context = typeof last === 'string' ? last : undefined;
      if (context === 'ExceptionHandler') return;
      const text = String(message);
      logger[level === 'error' && /retrying/i.test(text) ? 'warn' : level]({ context }, text);
    };
  return { log: () => undefined, warn: line('warn'), error: line('error'), fatal: line('error') };
}
