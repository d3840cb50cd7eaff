/**
 * Whether an error means "not now" from the database (rather than a bug or bad
 * input): unreachable, restarting, overloaded, out of resources, read-only
 * after a failover, refusing our credentials or our database, or too slow.
 * Such errors are answered 503 with Retry-After, never 500. Covers the pg
 * driver's connection errors, TypeORM's wrapping of them, and these SQLSTATEs:
 * whole classes 08 (connection), 28 (authorization: a rotated password),
 * 53 (insufficient resources: disk full, out of memory, too many connections),
 * 57 (operator intervention: shutdown, crash, statement timeout) and 58
 * (system errors: I/O); and 25006 (read-only transaction: a standby or
 * default_transaction_read_only), 55000 (a database not accepting
 * connections), 3D000 (the database does not exist, e.g. while restored),
 * 55P03 (lock timeout), 40001 and 40P01 (serialization failure, deadlock).
 */
const UNAVAILABLE_CLASSES = ['08', '28', '53', '57', '58'];
const UNAVAILABLE_SQLSTATES = new Set(['25006', '55000', '3D000', '55P03', '40001', '40P01']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
const DRIVER_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'connection error and is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
  'the database system is',
];

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const e = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
  if (
    typeof e.code === 'string' &&
    ((/^[0-9A-Z]{5}$/.test(e.code) && UNAVAILABLE_CLASSES.includes(e.code.slice(0, 2))) ||
      UNAVAILABLE_SQLSTATES.has(e.code) ||
      NETWORK_CODES.has(e.code))
  ) {
    return true;
  }
  if (typeof e.message === 'string' && DRIVER_MESSAGES.some((text) => (e.message as string).includes(text)))
    return true;
  if (error instanceof AggregateError && error.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) {
    return true;
  }
  return isDatabaseUnavailable(e.driverError, depth + 1) || isDatabaseUnavailable(e.cause, depth + 1);
}

/** The SQLSTATE of a database error (TypeORM's wrapper and causes included), if it has one. */
export function sqlState(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined;
  const e = error as { code?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  return sqlState(e.driverError, depth + 1) ?? sqlState(e.cause, depth + 1);
}
