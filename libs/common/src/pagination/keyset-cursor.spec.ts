import { BadRequestError } from '../errors/domain-error';
import {
  decodeCursor,
  encodeCursor,
  nextLink,
  readIntPosition,
  readStringPosition,
  readTimeIdPosition,
} from './keyset-cursor';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('keyset cursor', () => {
  it('round-trips a position', () => {
    const cursor = encodeCursor(['2026-11-24T06:08:31.860Z', 42]);
    expect(decodeCursor(cursor, readTimeIdPosition)).toEqual({ at: '2026-11-24T06:08:31.860Z', id: 42 });
  });

  it('is opaque (base64url, no JSON visible)', () => {
    expect(encodeCursor(['2026-11-24T06:08:31.860Z', 42])).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['not base64', '!!!'],
    ['empty', ''],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['not an array', b64({ at: 1 })],
    ['of another version', b64([2, '2026-11-24T06:08:31.860Z', 1])],
    ['a bad instant', b64([1, 'yesterday', 1])],
    ['a non-canonical instant', b64([1, '2026-11-24', 1])],
    ['a negative id', b64([1, '2026-11-24T06:08:31.860Z', -1])],
    ['a fractional id', b64([1, '2026-11-24T06:08:31.860Z', 1.5])],
    ['missing a value', b64([1, '2026-11-24T06:08:31.860Z'])],
    ['too long', 'a'.repeat(500)],
    ['an extended year (+010000)', b64([1, '+010000-11-24T06:08:31.860Z', 1])],
    ['year 0000', b64([1, '0000-11-24T06:08:31.860Z', 1])],
    ['an instant with a NUL', b64([1, '2026-11-24T06:08:31.860Z\u0000', 1])],
    ['an id past 2^53', b64([1, '2026-11-24T06:08:31.860Z', 2 ** 60])],
  ])('rejects a cursor that is %s with a 400', (_label, cursor) => {
    let error: unknown;
    try {
      decodeCursor(cursor, readTimeIdPosition);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).status).toBe(400);
    expect((error as BadRequestError).code).toBe('INVALID_CURSOR');
  });

  it('reads a year 0001 instant and an id of 2^31 (bigint ids)', () => {
    expect(decodeCursor(b64([1, '0001-01-01T00:00:00.000Z', 2 ** 31]), readTimeIdPosition)).toEqual({
      at: '0001-01-01T00:00:00.000Z',
      id: 2 ** 31,
    });
  });

  it.each([[0], [2 ** 31], [-1], [1.5], ['7']])('an integer position of %p is a 400', (value) => {
    expect(() => decodeCursor(b64([1, value]), readIntPosition)).toThrow(BadRequestError);
  });

  it('a string position must match its pattern (no NUL, no other characters)', () => {
    const slug = readStringPosition(/^[a-z0-9-]{1,120}$/);
    expect(decodeCursor(b64([1, 'dawn-dispatch']), slug)).toBe('dawn-dispatch');
    expect(() => decodeCursor(b64([1, 'dawn\u0000']), slug)).toThrow(BadRequestError);
    expect(() => decodeCursor(b64([1, 'Dawn']), slug)).toThrow(BadRequestError);
  });

  it('builds a relative RFC 8288 next link that keeps the filters and replaces the cursor', () => {
    expect(
      nextLink('/api/capsules/runs', { capsule_slug: 'a b', limit: 2, cursor: 'old', status: ['x', 'y'] }, 'NEW'),
    ).toBe('</api/capsules/runs?capsule_slug=a+b&limit=2&status=x&status=y&cursor=NEW>; rel="next"');
  });

  it('writes instants of the query as ISO strings', () => {
    expect(nextLink('/r', { started_after: new Date('2026-01-01T00:00:00Z') }, 'C')).toBe(
      '</r?started_after=2026-01-01T00%3A00%3A00.000Z&cursor=C>; rel="next"',
    );
  });
});
