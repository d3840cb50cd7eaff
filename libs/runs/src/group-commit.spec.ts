import { GroupCommit } from './group-commit';

/** A write that records its batches and completes when the test says so. */
function controlledWrite() {
  const batches: number[][] = [];
  const pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const write = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push(items);
      pending.push({ resolve: () => resolve(items.map((i) => `ok ${i}`)), reject });
    });
  return { batches, pending, write };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('writes a call at once when nothing is in flight (no added latency when idle)', async () => {
    const w = controlledWrite();
    const group = new GroupCommit(w.write, { maxBatch: 64, concurrency: 2, lingerMs: 60_000 });
    const answer = group.submit(1);
    expect(w.batches).toEqual([[1]]);
    w.pending[0].resolve();
    await expect(answer).resolves.toBe('ok 1');
  });

  it('gathers calls while a batch is in flight, and answers each with its own result', async () => {
    jest.useFakeTimers();
    try {
      const w = controlledWrite();
      const group = new GroupCommit(w.write, { maxBatch: 64, concurrency: 2, lingerMs: 2 });
      const answers = [1, 2, 3, 4].map((i) => group.submit(i));
      expect(w.batches).toEqual([[1]]);
      jest.advanceTimersByTime(2);
      expect(w.batches).toEqual([[1], [2, 3, 4]]);
      w.pending.forEach((p) => p.resolve());
      await expect(Promise.all(answers)).resolves.toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('sends a full batch without waiting, and never more than maxBatch or concurrency at once', async () => {
    const w = controlledWrite();
    const group = new GroupCommit(w.write, { maxBatch: 3, concurrency: 2, lingerMs: 60_000 });
    const answers = [1, 2, 3, 4, 5, 6, 7].map((i) => group.submit(i));
    expect(w.batches).toEqual([[1], [2, 3, 4]]);
    expect(group.waiting).toBe(3);
    w.pending[0].resolve();
    await tick();
    expect(w.batches).toEqual([[1], [2, 3, 4], [5, 6, 7]]);
    w.pending[1].resolve();
    w.pending[2].resolve();
    await expect(Promise.all(answers)).resolves.toHaveLength(7);
  });

  it('fails every call of a failed batch with its error, and goes on with the next', async () => {
    const w = controlledWrite();
    const group = new GroupCommit(w.write, { maxBatch: 64, concurrency: 1, lingerMs: 0 });
    const first = group.submit(1);
    const second = group.submit(2);
    w.pending[0].reject(new Error('database gone'));
    await expect(first).rejects.toThrow('database gone');
    await tick();
    expect(w.batches).toEqual([[1], [2]]);
    w.pending[1].resolve();
    await expect(second).resolves.toBe('ok 2');
  });

  it('fails a call that waited longer than maxWaitMs without writing it', async () => {
    jest.useFakeTimers();
    try {
      const w = controlledWrite();
      const group = new GroupCommit(w.write, {
        maxBatch: 64,
        concurrency: 1,
        lingerMs: 0,
        maxWaitMs: 100,
        expired: () => new Error('waited too long'),
      });
      const first = group.submit(1);
      const late = group.submit(2);
      jest.advanceTimersByTime(150);
      const fresh = group.submit(3);
      w.pending[0].resolve();
      await expect(first).resolves.toBe('ok 1');
      await expect(late).rejects.toThrow('waited too long');
      expect(w.batches).toEqual([[1], [3]]);
      w.pending[1].resolve();
      await expect(fresh).resolves.toBe('ok 3');
      expect(group.pending).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('sends what waited behind a batch as soon as it ends, without lingering again', async () => {
    const w = controlledWrite();
    const group = new GroupCommit(w.write, { maxBatch: 64, concurrency: 2, lingerMs: 60_000 });
    void group.submit(1);
    const queued = [2, 3].map((i) => group.submit(i));
    expect(w.batches).toEqual([[1]]);
    expect(group.pending).toBe(3);
    w.pending[0].resolve();
    await tick();
    expect(w.batches).toEqual([[1], [2, 3]]);
    w.pending[1].resolve();
    await expect(Promise.all(queued)).resolves.toEqual(['ok 2', 'ok 3']);
  });
});
