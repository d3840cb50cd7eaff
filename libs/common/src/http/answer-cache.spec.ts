import { AnswerCache, answerEtag, noneMatchHits } from './answer-cache';

const at = (iso: string) => new Date(iso);
const T0 = at('2026-12-02T10:00:00.000Z');

/** A computation that counts its calls and resolves when told. */
function computation(value: unknown, changesAt: Date | null = null) {
  const calls: Date[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const compute = async (now: Date) => {
    calls.push(now);
    await gate;
    return { value, changesAt };
  };
  return { calls, compute, release };
}

describe('AnswerCache', () => {
  it('computes once for concurrent reads of one key and version', async () => {
    const cache = new AnswerCache(1 << 20);
    const c = computation({ n: 1 });
    const reads = Array.from({ length: 10 }, () => cache.answer('k', '7', T0, c.compute));
    c.release();
    const answers = await Promise.all(reads);
    expect(c.calls).toHaveLength(1);
    expect(new Set(answers.map((a) => a.etag)).size).toBe(1);
    expect(JSON.parse(answers[0].body.toString())).toEqual({ n: 1 });
  });

  it('serves a kept answer while its version holds, computes again for a new version', async () => {
    const cache = new AnswerCache(1 << 20);
    const first = computation('a');
    first.release();
    const a = await cache.answer('k', '7', T0, first.compute);
    expect(await cache.answer('k', '7', at('2027-01-01T00:00:00Z'), first.compute)).toBe(a);
    expect(first.calls).toHaveLength(1);
    const second = computation('b');
    second.release();
    const b = await cache.answer('k', '8', T0, second.compute);
    expect(second.calls).toHaveLength(1);
    expect(b.etag).not.toBe(a.etag);
    expect(b.body.toString()).toBe('"b"');
  });

  it('computes again once time alone may have changed the answer, and never serves it for an earlier instant', async () => {
    const cache = new AnswerCache(1 << 20);
    const c = computation('a', at('2026-12-02T11:00:00.000Z'));
    c.release();
    const a = await cache.answer('k', '7', T0, c.compute);
    await cache.answer('k', '7', at('2026-12-02T10:59:59.999Z'), c.compute);
    expect(c.calls).toHaveLength(1);
    const later = await cache.answer('k', '7', at('2026-12-02T11:00:00.000Z'), c.compute);
    expect(c.calls).toHaveLength(2);
    await cache.answer('k', '7', at('2026-12-02T09:00:00.000Z'), c.compute);
    expect(c.calls).toHaveLength(3);
    // Same version, same validity: the same tag whoever computed it; a new validity: a new tag.
    expect(later.etag).toBe(a.etag);
    expect(answerEtag('k', '7', Date.parse('2026-12-02T12:00:00.000Z'))).not.toBe(a.etag);
  });

  it('does not share a computation in flight with a read it would be stale for', async () => {
    const cache = new AnswerCache(1 << 20);
    const c = computation('a', at('2026-12-02T10:00:01.000Z'));
    const early = cache.answer('k', '7', T0, c.compute);
    const late = cache.answer('k', '7', at('2026-12-02T10:00:02.000Z'), c.compute);
    c.release();
    await Promise.all([early, late]);
    expect(c.calls.map((d) => d.toISOString())).toEqual([T0.toISOString(), '2026-12-02T10:00:02.000Z']);
  });

  it('hands a failure to every read that shared it and keeps nothing', async () => {
    const cache = new AnswerCache(1 << 20);
    const failing = jest.fn(() => Promise.reject(new Error('database unavailable')));
    const reads = [cache.answer('k', '7', T0, failing), cache.answer('k', '7', T0, failing)];
    await expect(Promise.all(reads)).rejects.toThrow('database unavailable');
    expect(failing).toHaveBeenCalledTimes(1);
    const c = computation('ok');
    c.release();
    await cache.answer('k', '7', T0, c.compute);
    expect(c.calls).toHaveLength(1);
  });

  it('keeps at most its byte budget, the oldest out first', async () => {
    const cache = new AnswerCache(25);
    const ten = () => Promise.resolve({ value: 'x'.repeat(8), changesAt: null }); // "xxxxxxxx": 10 bytes
    const compute = jest.fn(ten);
    await cache.answer('a', '1', T0, compute);
    await cache.answer('b', '1', T0, compute);
    await cache.answer('c', '1', T0, compute);
    expect(cache.size).toBe(20);
    await cache.answer('b', '1', T0, compute);
    expect(compute).toHaveBeenCalledTimes(3);
    await cache.answer('a', '1', T0, compute);
    expect(compute).toHaveBeenCalledTimes(4);
    await cache.answer('huge', '1', T0, () => Promise.resolve({ value: 'x'.repeat(100), changesAt: null }));
    expect(cache.size).toBeLessThanOrEqual(25);
  });
});

describe('noneMatchHits', () => {
  const etag = '"abc"';
  it.each([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abcd"', false],
    ['abc', false],
    ['', false],
  ])('If-None-Match %s → %s', (header, hit) => {
    expect(noneMatchHits(header, etag)).toBe(hit);
  });
  it('is false without the header', () => {
    expect(noneMatchHits(undefined, etag)).toBe(false);
  });
});
