import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the command talks to and keeps what it could not deliver. */
export interface CliConfig {
  /** The API's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  apiKey?: string;
  /** Reports that could not be delivered wait here for `capsule flush`. */
  spoolDir: string;
  /** Longest one HTTP request may take. */
  requestTimeoutMs: number;
  /** No API to send to (the configuration could not be read): every report is spooled at once. */
  offline?: true;
}

const REQUEST_TIMEOUT_MS = 5_000;

/** What the global flags may set (commander's parsed options). */
export interface ConfigFlags {
  url?: string;
  apiKey?: string;
  spoolDir?: string;
  config?: string;
}

type Env = Record<string, string | undefined>;

/** The user's state directory (XDG), where the spool lives by default. */
function stateHome(env: Env): string {
  return env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
}

/** The default config file: $XDG_CONFIG_HOME/capsules/config.json. */
export function defaultConfigFile(env: Env = process.env): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'capsules', 'config.json');
}

/**
 * Flags win over the environment (CAPSULES_URL, CAPSULES_API_KEY, CAPSULES_SPOOL_DIR), which wins
 * over the config file (`url`, `api_key`, `spool_dir`); then the defaults.
 */
export function resolveConfig(flags: ConfigFlags, env: Env = process.env): CliConfig {
  const file = readConfigFile(flags.config ?? env.CAPSULES_CONFIG, env);
  const url = flags.url ?? env.CAPSULES_URL ?? file.url ?? 'http://127.0.0.1:8080';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`the API URL ${JSON.stringify(url)} is not a URL (set CAPSULES_URL or --url)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`the API URL must be http:// or https://, not ${parsed.protocol}`);
  }
  // A key from a file or a Kubernetes secret often ends with a newline: not part of the key.
  const apiKey = (flags.apiKey ?? env.CAPSULES_API_KEY ?? file.api_key)?.trim();
  if (apiKey && !/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new ConfigError('the API key holds characters a key never has (spaces, control characters)');
  }
  return {
    url: url.replace(/\/+$/, ''),
    apiKey: apiKey || undefined,
    spoolDir: spoolDirOf(flags, env, file.spool_dir),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  };
}

/**
 * What `capsule exec` uses when the configuration cannot be read: no API (every report is
 * spooled) and the spool where the flags or the environment put it. Reads no file: never fails.
 */
export function spoolOnlyConfig(flags: ConfigFlags, env: Env = process.env): CliConfig {
  return {
    url: 'http://invalid.invalid',
    spoolDir: spoolDirOf(flags, env, undefined),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    offline: true,
  };
}

/** The spool: the flag, the environment, the config file, then under the state home. */
function spoolDirOf(flags: ConfigFlags, env: Env, fromFile: string | undefined): string {
  return flags.spoolDir ?? env.CAPSULES_SPOOL_DIR ?? fromFile ?? path.join(stateHome(env), 'capsules', 'spool');
}

/** A configuration problem the user must fix (said plainly, exit 2). */
export class ConfigError extends Error {}

function readConfigFile(
  explicit: string | undefined,
  env: Env,
): { url?: string; api_key?: string; spool_dir?: string } {
  const file = explicit ?? defaultConfigFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    // No file at the default place is the usual case; a file named explicitly must exist.
    if (explicit === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read the config file ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`the config file ${file} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`the config file ${file} must hold a JSON object`);
  }
  const record = value as Record<string, unknown>;
  const text_ = (key: string) => {
    const v = record[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new ConfigError(`${key} in ${file} must be a string`);
    return v;
  };
  return { url: text_('url'), api_key: text_('api_key'), spool_dir: text_('spool_dir') };
}
