import { type AppConfig, isLocalSetup } from '@app/common';

export interface AuthStartupVerdict {
  /** false: the service must not start. */
  start: boolean;
  level: 'info' | 'warn' | 'error';
  message: string;
}

/**
 * Whether the service may start with the keys it has, and what the startup
 * log says about access. Without keys, only the local setup (loopback host,
 * not production) starts, open to anonymous callers; AUTH_DISABLED starts
 * anywhere, with a warning on every start.
 */
export function authStartupVerdict(
  config: Pick<AppConfig, 'nodeEnv' | 'host' | 'authDisabled'>,
  { environmentKeys, databaseKeys }: { environmentKeys: number; databaseKeys: number },
): AuthStartupVerdict {
  const keys = environmentKeys + databaseKeys;
  if (config.authDisabled) {
    return {
      start: true,
      level: 'warn',
      message:
        'AUTH_DISABLED=true: API keys are not checked and every route is open to anyone who can reach ' +
        `${config.host}; do not run this way in production`,
    };
  }
  if (keys > 0) {
    return {
      start: true,
      level: 'info',
      message: `API keys required (${environmentKeys} from the environment, ${databaseKeys} in the database)`,
    };
  }
  if (isLocalSetup(config)) {
    return {
      start: true,
      level: 'info',
      message:
        `no API keys yet: open access, because the service listens on loopback (${config.host}) outside ` +
        'production; keys are required as soon as one exists (npm run apikey -- create --name <name> --scope write)',
    };
  }
  return {
    start: false,
    level: 'error',
    message:
      `refusing to start without API keys (NODE_ENV=${config.nodeEnv}, HOST=${config.host}): set API_KEYS or ` +
      'API_KEYS_FILE, or create one with `npm run apikey -- create`; AUTH_DISABLED=true runs without keys (unsafe)',
  };
}
