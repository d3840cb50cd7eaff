import { BadRequestError } from '../errors/domain-error';

/**
 * Position in a list ordered by (started_at DESC, id DESC): the last row a
 * page returned. Encoded as opaque base64url JSON so clients cannot build or
 * edit one; a cursor that does not decode is a 400.
 */
export interface KeysetPosition {
  /** Instant of the last row (ISO-8601, millisecond precision like the column). */
  at: string;
  id: number;
}

const VERSION = 1;

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([VERSION, position.at, position.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): KeysetPosition {
  const invalid = () =>
    new BadRequestError('The cursor is malformed; use the Link header of the previous page', 'INVALID_CURSOR');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== VERSION) throw invalid();
  const [, at, id] = parsed as [number, unknown, unknown];
  if (typeof at !== 'string' || !Number.isSafeInteger(id) || (id as number) < 1) throw invalid();
  const instant = new Date(at);
  if (Number.isNaN(instant.getTime()) || instant.toISOString() !== at) throw invalid();
  return { at, id: id as number };
}

/** Value of an RFC 8288 Link header pointing at the next page. */
export function nextLink(path: string, query: Record<string, string | string[] | undefined>, cursor: string): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (key === 'cursor' || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
  }
  params.set('cursor', cursor);
  return `<${path}?${params.toString()}>; rel="next"`;
}
