import { bucketOf, HISTOGRAM_BUCKETS } from '@app/database';

/**
 * Reading the runtime histogram the rollups keep (its buckets: `bucketOf` in the ledger
 * vocabulary). Histograms merge by adding counts. A percentile is read as the geometric
 * middle of the bucket holding the nearest-rank sample, so it is within 2^(1/8) - 1 (about
 * 9.05 %) of the true nearest-rank value.
 */
export { bucketOf, HISTOGRAM_BUCKETS };
export const MAX_RELATIVE_ERROR = 2 ** (1 / 8) - 1;

/** The value a bucket stands for: 0, or the geometric middle of its bounds (ms). */
export function representative(bucket: number): number {
  return bucket === 0 ? 0 : 2 ** ((bucket - 0.5) / 4);
}

/**
 * Nearest-rank percentile (q in 0..1) of the runtimes counted in a histogram,
 * in milliseconds; null when it counts nothing.
 */
export function percentile(counts: readonly number[] | null, q: number): number | null {
  if (!counts) return null;
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let bucket = 0; bucket < counts.length; bucket++) {
    seen += counts[bucket];
    if (seen >= rank) return representative(bucket);
  }
  return representative(counts.length - 1);
}

/** Element-wise sum of histograms (null ones skipped). */
export function mergeHistograms(histograms: readonly (readonly number[] | null)[]): number[] | null {
  let merged: number[] | null = null;
  for (const h of histograms) {
    if (!h) continue;
    merged ??= new Array<number>(HISTOGRAM_BUCKETS).fill(0);
    h.forEach((n, i) => (merged![i] += n));
  }
  return merged;
}
