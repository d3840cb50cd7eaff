import { BadRequestError } from '../errors/domain-error';
import { decodeCursor, encodeCursor, nextLink } from './keyset-cursor';

describe('keyset cursor', () => {
  it('round-trips a position', () => {
    const position = { at: '2026-11-24T06:08:31.860Z', id: 42 };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it('is opaque (base64url, no JSON visible)', () => {
    expect(encodeCursor({ at: '2026-11-24T06:08:31.860Z', id: 42 })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['not base64', '!!!'],
    ['empty', ''],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['wrong version', Buffer.from(JSON.stringify([2, '2026-11-24T06:08:31.860Z', 1])).toString('base64url')],
    ['bad instant', Buffer.from(JSON.stringify([1, 'yesterday', 1])).toString('base64url')],
    ['non-canonical instant', Buffer.from(JSON.stringify([1, '2026-11-24', 1])).toString('base64url')],
    ['negative id', Buffer.from(JSON.stringify([1, '2026-11-24T06:08:31.860Z', -1])).toString('base64url')],
    ['fractional id', Buffer.from(JSON.stringify([1, '2026-11-24T06:08:31.860Z', 1.5])).toString('base64url')],
    ['too long', 'a'.repeat(500)],
  ])('rejects a cursor that is %s with a 400', (_label, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(BadRequestError);
    try {
      decodeCursor(cursor);
    } catch (error) {
      expect((error as BadRequestError).status).toBe(400);
      expect((error as BadRequestError).code).toBe('INVALID_CURSOR');
    }
  });

  it('builds a relative RFC 8288 next link that keeps the filters and replaces the cursor', () => {
    expect(
      nextLink('/api/capsules/runs', { capsule_slug: 'a b', limit: '2', cursor: 'old', status: ['x', 'y'] }, 'NEW'),
    ).toBe('</api/capsules/runs?capsule_slug=a+b&limit=2&status=x&status=y&cursor=NEW>; rel="next"');
  });
});
