import { FixedClock } from '@app/common';
import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  const start = new Date('2026-11-24T08:00:00Z');

  it('lets a caller burst a minute of budget, then says how long to wait', () => {
    const clock = new FixedClock(start);
    const limiter = new RateLimiter(6, clock);
    for (let i = 0; i < 6; i++) expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(10); // one request per 10 s
    expect(limiter.take('b')).toBe(0);
  });

  it('refills at the steady rate and never above the budget', () => {
    const clock = new FixedClock(start);
    const limiter = new RateLimiter(60, clock);
    for (let i = 0; i < 60; i++) limiter.take('a');
    expect(limiter.take('a')).toBe(1);
    clock.set('2026-11-24T08:00:02.500Z');
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(1);
    clock.set('2026-11-24T09:00:00Z');
    for (let i = 0; i < 60; i++) expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThan(0);
  });

  it('0 turns the limit off', () => {
    const limiter = new RateLimiter(0, new FixedClock(start));
    for (let i = 0; i < 1000; i++) expect(limiter.take('a')).toBe(0);
    expect(limiter.size).toBe(0);
  });

  it('a refund gives back one token, never above the budget', () => {
    const limiter = new RateLimiter(2, new FixedClock(start));
    limiter.take('a');
    limiter.take('a');
    expect(limiter.take('a')).toBe(30);
    limiter.refund('a');
    expect(limiter.take('a')).toBe(0);
    limiter.refund('a');
    limiter.refund('a');
    limiter.refund('a');
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 30]);
  });

  it('a flood of new callers evicts the least recently seen, not an active caller', () => {
    const clock = new FixedClock(start);
    const limiter = new RateLimiter(2, clock);
    limiter.take('active');
    limiter.take('active');
    for (let i = 0; i < 60_000; i++) {
      limiter.take(`flood-${i}`);
      if (i % 1000 === 0) expect(limiter.take('active')).toBeGreaterThan(0); // still seen, still limited
    }
    expect(limiter.size).toBeLessThanOrEqual(50_000);
    expect(limiter.take('active')).toBeGreaterThan(0);
  });

  it('forgets refilled callers when it holds too many', () => {
    const clock = new FixedClock(start);
    const limiter = new RateLimiter(10, clock);
    for (let i = 0; i < 50_000; i++) limiter.take(`caller-${i}`);
    expect(limiter.size).toBe(50_000);
    clock.set('2026-11-24T08:05:00Z');
    limiter.take('newcomer');
    expect(limiter.size).toBe(1);
  });
});
