import { BadRequestError } from '../errors/domain-error';

/**
 * Keyset pagination cursors: the sort key of the last row a page returned,
 * encoded as opaque base64url JSON so clients neither build nor edit one.
 * A cursor that does not decode to the expected shape is a 400.
 */
export type CursorValue = string | number;

const VERSION = 1;

/** The 400 of a cursor that is not one of ours (also the OpenAPI example). */
export const invalidCursor = () =>
  new BadRequestError('The cursor is malformed; follow the Link header of the previous page', 'INVALID_CURSOR');

export function encodeCursor(values: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify([VERSION, ...values]), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor; `read` checks the values' shape and returns undefined
 * when they are not what this list's cursors hold.
 */
export function decodeCursor<T>(cursor: string, read: (values: unknown[]) => T | undefined): T {
  const invalid = invalidCursor;
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed[0] !== VERSION) throw invalid();
  const result = read(parsed.slice(1));
  if (result === undefined) throw invalid();
  return result;
}

/** Position in a list ordered by (instant DESC, id DESC). */
export interface TimeIdPosition {
  /** ISO-8601 instant with milliseconds, like the columns (timestamptz(3)). */
  at: string;
  id: number;
}

/** An instant as the columns hold it: years 0001-9999 (no `+010000`), milliseconds, UTC. */
const CURSOR_INSTANT = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Cursors are not signed, so every value read from one is range-checked: an
 * edited cursor (an instant out of range, a NUL, an id past the column's type)
 * is a 400, never a database error.
 */
export function readTimeIdPosition(values: unknown[]): TimeIdPosition | undefined {
  if (values.length !== 2) return undefined;
  const [at, id] = values;
  if (readCursorInstant(at) === undefined) return undefined;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) return undefined;
  return { at: at as string, id };
}

/** A cursor's instant (as the columns hold it), range-checked; undefined when it is anything else. */
export function readCursorInstant(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !CURSOR_INSTANT.test(value)) return undefined;
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) || instant.toISOString() !== value ? undefined : instant;
}

/** A position that is a positive 32-bit integer (an `integer` column, e.g. a revision). */
export function readIntPosition(values: unknown[]): number | undefined {
  if (values.length !== 1) return undefined;
  const [value] = values;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 2_147_483_647
    ? value
    : undefined;
}

/** A position that is a string matching `pattern` (e.g. a slug's own rule). */
export function readStringPosition(pattern: RegExp): (values: unknown[]) => string | undefined {
  return (values) =>
    values.length === 1 && typeof values[0] === 'string' && pattern.test(values[0]) ? values[0] : undefined;
}

/** Value of an RFC 8288 Link header to the next page (a relative reference). */
export function nextLink(path: string, query: Record<string, unknown>, cursor: string): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (key === 'cursor' || value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      params.append(key, item instanceof Date ? item.toISOString() : String(item));
    }
  }
  params.set('cursor', cursor);
  return `<${path}?${params.toString()}>; rel="next"`;
}
