import {
  bucketOf,
  HISTOGRAM_BUCKETS,
  MAX_RELATIVE_ERROR,
  mergeHistograms,
  percentile,
  representative,
} from './runtime-histogram';

function histogramOf(durations: number[]): number[] {
  const counts = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
  for (const d of durations) counts[bucketOf(d)]++;
  return counts;
}

function nearestRank(durations: number[], q: number): number {
  const sorted = [...durations].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

/** A deterministic pseudo-random sequence (no flaky tests). */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 2 ** 32;
    return state / 2 ** 32;
  };
}

describe('runtime histogram', () => {
  it('puts 0 ms in bucket 0 and each power of 2^(1/4) at the start of its bucket', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(1)).toBe(1);
    expect(bucketOf(2)).toBe(5);
    expect(bucketOf(3)).toBe(7);
    expect(bucketOf(16)).toBe(17);
    expect(bucketOf(1000)).toBe(40);
    expect(bucketOf(2 ** 40)).toBe(127);
  });

  it('every value lies within its bucket bounds', () => {
    const outside: number[] = [];
    for (let ms = 1; ms < 100_000; ms += 7) {
      const k = bucketOf(ms);
      if (ms < 2 ** ((k - 1) / 4) * (1 - 1e-9) || ms >= 2 ** (k / 4)) outside.push(ms);
    }
    expect(outside).toEqual([]);
  });

  it.each([
    ['uniform 0-10 s', (r: () => number) => Math.round(r() * 10_000)],
    ['log-uniform 1 ms - 1 h', (r: () => number) => Math.round(Math.exp(r() * Math.log(3_600_000)))],
    ['bimodal', (r: () => number) => (r() < 0.9 ? 200 + Math.round(r() * 50) : 30_000 + Math.round(r() * 5000))],
  ])('p50 and p95 are within the stated error on %s data', (_label, draw) => {
    const random = lcg(42);
    const durations = Array.from({ length: 5000 }, () => Math.max(1, draw(random)));
    const counts = histogramOf(durations);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = nearestRank(durations, q);
      const estimate = percentile(counts, q)!;
      expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(MAX_RELATIVE_ERROR + 1e-12);
    }
  });

  it('the representative of a bucket is within the error of every value in it', () => {
    let worst = 0;
    for (let ms = 1; ms < 50_000; ms += 3) {
      worst = Math.max(worst, Math.abs(representative(bucketOf(ms)) - ms) / ms);
    }
    expect(worst).toBeLessThanOrEqual(MAX_RELATIVE_ERROR + 1e-9);
    expect(worst).toBeGreaterThan(0.08);
  });

  it('an empty or missing histogram has no percentile', () => {
    expect(percentile(null, 0.5)).toBeNull();
    expect(percentile(new Array<number>(HISTOGRAM_BUCKETS).fill(0), 0.5)).toBeNull();
  });

  it('zero runtimes give 0', () => {
    expect(percentile(histogramOf([0, 0, 0]), 0.95)).toBe(0);
  });

  it('merging histograms equals the histogram of all the values', () => {
    const a = [5, 10, 1000];
    const b = [7, 20_000];
    expect(mergeHistograms([histogramOf(a), null, histogramOf(b)])).toEqual(histogramOf([...a, ...b]));
    expect(mergeHistograms([null, null])).toBeNull();
  });
});
