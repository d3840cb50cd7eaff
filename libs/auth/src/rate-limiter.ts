import type { Clock } from '@app/common';

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept before idle ones (refilled to the brim) are swept, then the least recently seen. */
const SWEEP_AT = 50_000;

/**
 * Token buckets, one per caller: each holds up to `perMinute` requests and
 * refills at `perMinute` a minute, so a caller may burst a minute's budget
 * and then goes at the steady rate. `perMinute` 0 turns the limit off.
 * In-process: each replica counts its own callers (documented).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes one request from `caller`'s bucket: 0 when allowed, else the whole seconds until one fits. */
  take(caller: string): number {
    if (this.perMinute === 0) return 0;
    const now = this.clock.now().getTime();
    let bucket = this.buckets.get(caller);
    if (bucket === undefined) {
      if (this.buckets.size >= SWEEP_AT) this.sweep(now);
      bucket = { tokens: this.perMinute, at: now };
    } else {
      bucket.tokens = this.refilled(bucket, now);
      bucket.at = now;
      this.buckets.delete(caller); // re-inserted below: the map's order is least recently seen first
    }
    this.buckets.set(caller, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return this.waitFor(bucket.tokens);
  }

  /** Gives back a token `take` took (the request turned out to be someone else's to pay for). */
  refund(caller: string): void {
    const bucket = this.perMinute === 0 ? undefined : this.buckets.get(caller);
    if (bucket !== undefined) bucket.tokens = Math.min(this.perMinute, bucket.tokens + 1);
  }

  private refilled(bucket: Bucket, now: number): number {
    return Math.min(this.perMinute, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs);
  }

  private waitFor(tokens: number): number {
    return Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000));
  }

  get size(): number {
    return this.buckets.size;
  }

  /**
   * Forgets callers whose bucket has refilled (they would start full anyway); if that frees too
   * little, the least recently seen tenth, so a flood of new callers cannot reset active ones.
   */
  private sweep(now: number): void {
    for (const [caller, bucket] of this.buckets) {
      if (this.refilled(bucket, now) >= this.perMinute) this.buckets.delete(caller);
    }
    if (this.buckets.size < SWEEP_AT * 0.9) return;
    let evict = this.buckets.size - Math.floor(SWEEP_AT * 0.9);
    for (const caller of this.buckets.keys()) {
      if (evict-- <= 0) break;
      this.buckets.delete(caller);
    }
  }
}
