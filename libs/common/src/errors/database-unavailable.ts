/**
 * Whether an error means the database is unreachable, restarting, overloaded
 * or too slow (rather than a bug): such errors are answered 503 with
 * Retry-After, never 500. Covers the pg driver's connection errors, TypeORM's
 * wrapping of them, and the SQLSTATEs of connection loss, shutdown, too many
 * connections, statement timeout and lock timeouts.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '53400',
  '57014',
  '55P03',
  '40001',
  '40P01',
]);
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
    (e.code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(e.code) || NETWORK_CODES.has(e.code))
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
