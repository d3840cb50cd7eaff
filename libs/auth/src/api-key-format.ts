import { hash, randomBytes } from 'node:crypto';

export type ApiKeyScope = 'read' | 'write' | 'admin';
export const API_KEY_SCOPES: readonly ApiKeyScope[] = ['read', 'write', 'admin'];

/** Key names: what `changed_by` records and logs show. */
export const API_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;
export const API_KEY_NAME_RULE = '1-100 letters, digits or . _ @ - (starting with a letter or digit)';

/** SHA-256 of a presented or configured API key (keys are long random strings, so a fast hash is right). */
export function hashApiKey(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}

/**
 * Keys made by `npm run apikey`: `cap_<id>_<secret>`, where `id` (12 base-36
 * characters) names the database row and `secret` is 32 random bytes in
 * base64url. Only the SHA-256 of the whole string is stored.
 */
const DATABASE_KEY = /^cap_([a-z0-9]{12})_[A-Za-z0-9_-]{43}$/;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function generateApiKey(): { id: string; key: string } {
  const id = Array.from(randomBytes(12), (byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join('');
  return { id, key: `cap_${id}_${randomBytes(32).toString('base64url')}` };
}

/** The row id of a database key, or undefined when the string is not one. */
export function databaseKeyId(key: string): string | undefined {
  return DATABASE_KEY.exec(key)?.[1];
}
