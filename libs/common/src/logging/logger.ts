import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
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
