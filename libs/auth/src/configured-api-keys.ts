import { type AppConfig, ConfigError } from '@app/common';
import { API_KEY_NAME, API_KEY_NAME_RULE, API_KEY_SCOPES, type ApiKeyScope, hashApiKey } from './api-key-format';

/** A key given by environment (API_KEYS / API_KEYS_FILE): only its SHA-256 is kept. */
export interface EnvApiKey {
  name: string;
  scope: ApiKeyScope;
  hash: Buffer;
}

/** Shortest key accepted from the environment (generated keys are far longer). */
export const MIN_ENV_KEY_LENGTH = 24;

/**
 * The keys of API_KEYS (comma-separated) and API_KEYS_FILE (one a line; blank
 * lines and `#` comments skipped), as `name:scope:key` entries, hashed. Throws
 * a ConfigError naming every bad entry by its position (never echoing the key)
 * and every name given twice. The boot passes it to loadConfig's `checks`, so
 * these problems stop the boot with the configuration's others.
 */
export function parseConfiguredApiKeys(config: Pick<AppConfig, 'apiKeys' | 'apiKeysFile'>): EnvApiKey[] {
  const problems: string[] = [];
  const keys = [
    ...parseEntries('API_KEYS', config.apiKeys?.split(','), problems),
    ...parseEntries('API_KEYS_FILE', config.apiKeysFile?.contents.split(/\r?\n/), problems),
  ];
  const names = keys.map((key) => key.name);
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (repeated.length > 0)
    problems.push(`API_KEYS / API_KEYS_FILE name a key twice: ${[...new Set(repeated)].join(', ')}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return keys;
}

function parseEntries(variable: string, entries: string[] | undefined, problems: string[]): EnvApiKey[] {
  const keys: EnvApiKey[] = [];
  (entries ?? [])
    .map((entry) => entry.trim())
    .forEach((entry, index) => {
      if (entry === '' || entry.startsWith('#')) return;
      const [name, scope, ...rest] = entry.split(':');
      const key = rest.join(':');
      const where = `${variable} entry ${index + 1}`;
      if (!API_KEY_NAME.test(name ?? '')) {
        problems.push(`${where}: the name must be ${API_KEY_NAME_RULE} (format name:scope:key)`);
      } else if (!(API_KEY_SCOPES as readonly string[]).includes(scope ?? '')) {
        problems.push(`${where} (${name}): the scope must be read, write or admin`);
      } else if (key.length < MIN_ENV_KEY_LENGTH) {
        problems.push(`${where} (${name}): the key must be at least ${MIN_ENV_KEY_LENGTH} characters`);
      } else {
        keys.push({ name, scope: scope as ApiKeyScope, hash: hashApiKey(key) });
      }
    });
  return keys;
}
