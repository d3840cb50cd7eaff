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

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/**
 * An error and the errors behind it, depth first: TypeORM's `driverError`, a `cause`, and an
 * AggregateError's `errors` (the pool's connect attempts), at most three levels down.
 */
function* errorChain(error: unknown, depth = 0): Generator<ErrorLike> {
  if (typeof error !== 'object' || error === null || depth > 3) return;
  const e = error as ErrorLike;
  yield e;
  for (const inner of [e.driverError, e.cause, ...(Array.isArray(e.errors) ? (e.errors as unknown[]) : [])]) {
    yield* errorChain(inner, depth + 1);
  }
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of errorChain(error)) {
    if (
      typeof e.code === 'string' &&
      ((SQLSTATE.test(e.code) && UNAVAILABLE_CLASSES.includes(e.code.slice(0, 2))) ||
        UNAVAILABLE_SQLSTATES.has(e.code) ||
        NETWORK_CODES.has(e.code))
    ) {
      return true;
    }
    const message = e.message;
    if (typeof message === 'string' && DRIVER_MESSAGES.some((text) => message.includes(text))) return true;
  }
  return false;
}

/** The SQLSTATE of a database error (TypeORM's wrapper and causes included), if it has one. */
export function sqlState(error: unknown): string | undefined {
  for (const e of errorChain(error)) {
    if (typeof e.code === 'string' && SQLSTATE.test(e.code)) return e.code;
  }
  return undefined;
}

/**
 * The code that says why the database could not be used: its SQLSTATE, else the network's
 * (`ECONNREFUSED`); never the driver's text, which may hold addresses.
 */
export function databaseErrorCode(error: unknown): string | undefined {
  const state = sqlState(error);
  if (state !== undefined) return state;
  for (const e of errorChain(error)) {
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  }
  return undefined;
}
