import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock, RequestValidationError, isDatabaseUnavailable } from '@app/common';
import {
  API_KEY_NAME,
  API_KEY_NAME_RULE,
  API_KEY_SCOPES,
  type ApiKeyScope,
  databaseKeyId,
  generateApiKey,
  hashApiKey,
} from './api-key-format';
import { ApiKeysRepository } from './api-keys.repository';
import { type EnvApiKey, parseConfiguredApiKeys } from './configured-api-keys';

/** Who made a request: the key's name (the `changed_by` of what it writes) and its scope. */
export interface Principal {
  name: string;
  scope: ApiKeyScope;
}

export interface ApiKeySummary {
  id: string;
  name: string;
  scope: ApiKeyScope;
  created_at: Date;
  revoked_at: Date | null;
}

const SCOPE_RANK: Record<ApiKeyScope, number> = { read: 0, write: 1, admin: 2 };

/** Whether a key of scope `held` may call a route that needs `needed` (admin ⊃ write ⊃ read). */
export function scopeCovers(held: ApiKeyScope, needed: ApiKeyScope): boolean {
  return SCOPE_RANK[held] >= SCOPE_RANK[needed];
}

/**
 * How long a database key's row (or its absence) is trusted before it is read
 * again: a revoked key stops working within this time in every replica.
 */
export const KEY_CACHE_TTL_MS = 5_000;
const CACHE_LIMIT = 10_000;

interface KeyRow {
  name: string;
  scope: ApiKeyScope;
  hash: Buffer;
}

interface Cached<T> {
  value: T;
  until: number;
}

/**
 * API keys from the environment (hashed at boot) and the database. A
 * presented key is hashed once and compared with `timingSafeEqual` against
 * every environment key and the database row its id names.
 */
@Injectable()
export class ApiKeysService {
  private readonly rows = new Map<string, Cached<KeyRow | null>>();
  private readonly reading = new Map<string, Promise<KeyRow | null>>();
  private activeCount?: Cached<number>;
  /** The keys of API_KEYS and API_KEYS_FILE, hashed (the boot has already refused bad entries). */
  readonly environmentKeys: readonly EnvApiKey[];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: ApiKeysRepository,
    private readonly clock: Clock,
  ) {
    this.environmentKeys = parseConfiguredApiKeys(config);
  }

  /**
   * The principal of a presented key, or undefined. `beforeLookup` runs just before a database
   * read of an id not known to be good (never seen, or last found unknown or revoked): the guard
   * refuses callers over their rate limit there, so guessed keys cannot turn into database load.
   * The expired row of a good key is read again without it (one read per id per TTL), so a valid
   * key is never refused for what others sent from its address.
   */
  async authenticate(presented: string, beforeLookup?: () => void): Promise<Principal | undefined> {
    const hash = hashApiKey(presented);
    let found: Principal | undefined;
    for (const key of this.environmentKeys) {
      if (timingSafeEqual(hash, key.hash) && !found) found = { name: key.name, scope: key.scope };
    }
    if (found) return found;
    const id = databaseKeyId(presented);
    if (id === undefined) return undefined;
    const row = await this.cachedRow(id, beforeLookup);
    return row && timingSafeEqual(hash, row.hash) ? { name: row.name, scope: row.scope } : undefined;
  }

  /** Whether any key exists (environment, or an active database key). */
  async anyKeys(): Promise<boolean> {
    if (this.environmentKeys.length > 0) return true;
    const now = this.clock.now().getTime();
    if (!this.activeCount || this.activeCount.until <= now) {
      this.activeCount = { value: await this.countDatabaseKeys(), until: now + KEY_CACHE_TTL_MS };
    }
    return this.activeCount.value > 0;
  }

  /** Active keys in the database (read now, not cached). */
  countDatabaseKeys(): Promise<number> {
    return this.keys.countActive();
  }

  /** Makes a key; the plain key is returned once and never stored. */
  async create(name: string, scope: ApiKeyScope): Promise<{ id: string; key: string }> {
    const errors = [];
    if (!API_KEY_NAME.test(name)) {
      errors.push({ field: 'name', message: `name must be ${API_KEY_NAME_RULE}` });
    }
    if (!(API_KEY_SCOPES as readonly string[]).includes(scope)) {
      errors.push({ field: 'scope', message: 'scope must be read, write or admin' });
    }
    if (this.environmentKeys.some((key) => key.name === name)) {
      errors.push({ field: 'name', message: `a key named "${name}" is configured by environment` });
    }
    if (errors.length > 0) throw new RequestValidationError(errors);
    const { id, key } = generateApiKey();
    if (!(await this.keys.insert({ id, name, scope, key_hash: hashApiKey(key) }))) {
      throw new RequestValidationError([
        { field: 'name', message: `an active key named "${name}" exists; revoke it first` },
      ]);
    }
    return { id, key };
  }

  async list(): Promise<ApiKeySummary[]> {
    return (await this.keys.list()).map(({ id, name, scope, created_at, revoked_at }) => ({
      id,
      name,
      scope,
      created_at,
      revoked_at,
    }));
  }

  revoke(nameOrId: string): Promise<string | undefined> {
    return this.keys.revoke(nameOrId);
  }

  private async cachedRow(id: string, beforeLookup?: () => void): Promise<KeyRow | null> {
    const now = this.clock.now().getTime();
    const hit = this.rows.get(id);
    if (hit && hit.until > now) return hit.value;
    if (!hit?.value) beforeLookup?.();
    // Requests that find the same id expired at once share one read.
    let read = this.reading.get(id);
    if (!read) {
      read = this.readRow(id, now).finally(() => this.reading.delete(id));
      this.reading.set(id, read);
    }
    if (!hit?.value) return read;
    // A key this replica knew as good stays good while the database cannot be asked (an outage),
    // so /metrics and the probes' callers keep working; it is read again once the database answers.
    try {
      return await read;
    } catch (error) {
      if (isDatabaseUnavailable(error)) return hit.value;
      throw error;
    }
  }

  private async readRow(id: string, now: number): Promise<KeyRow | null> {
    const row = await this.keys.findById(id);
    const value = row && !row.revoked_at ? { name: row.name, scope: row.scope, hash: row.key_hash } : null;
    this.rows.delete(id);
    // Oldest entry out first (a map keeps insertion order), so a flood of unknown ids cannot flush good keys at once.
    if (this.rows.size >= CACHE_LIMIT) this.rows.delete(this.rows.keys().next().value as string);
    this.rows.set(id, { value, until: now + KEY_CACHE_TTL_MS });
    return value;
  }
}
