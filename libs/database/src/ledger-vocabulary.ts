/**
 * The run ledger's vocabulary, declared once: the TypeScript types, the SQL
 * that sums the rollups and the schedule state read it from here. The
 * migrations spell the same words in SQL (the status CHECK, the rollup
 * counters, the triggers' failure test, the views' failures, the histogram
 * buckets); `test/database/vocabulary.db-spec.ts`, `analytics-views.db-spec.ts`
 * and `rollups.db-spec.ts` fail when the two disagree. Adding a status: here
 * (the list, its outcome and its counter), plus a migration; the API's enums,
 * the per-status counters of the analytics answers, the alert rules and the
 * schedule state follow from these declarations.
 */
export const RUN_STATUSES = ['running', 'success', 'error', 'timeout', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * What a status means to the analytics, the schedule state and the alert rules: `open` (the run
 * has not ended), `success`, `failure` (success rate, `last_failure_at`, a capsule `down`), or
 * `neutral` (ended, neither: counted, but no success and no failure).
 */
export type RunOutcome = 'open' | 'success' | 'failure' | 'neutral';

export const RUN_OUTCOMES = {
  running: 'open',
  success: 'success',
  error: 'failure',
  timeout: 'failure',
  cancelled: 'neutral',
} as const satisfies Record<RunStatus, RunOutcome>;

export function statusesWithOutcome(outcome: RunOutcome): readonly RunStatus[] {
  return RUN_STATUSES.filter((s) => RUN_OUTCOMES[s] === outcome);
}

/** Statuses that end a run (every one but the open ones). */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter((s) => RUN_OUTCOMES[s] !== 'open');

/** Statuses in words for messages and descriptions: `a, b or c`. */
export function statusList(statuses: readonly RunStatus[], conjunction = 'or'): string {
  return statuses.length < 2
    ? statuses.join('')
    : `${statuses.slice(0, -1).join(', ')} ${conjunction} ${statuses[statuses.length - 1]}`;
}

/** Outcomes that count as failures (success rate, `last_failure_at`, a capsule `down`). */
export const FAILED_RUN_STATUSES: readonly RunStatus[] = statusesWithOutcome('failure');

/** Outcomes that count as successes (success rate, `last_success_at`, a recovery). */
export const SUCCESSFUL_RUN_STATUSES: readonly RunStatus[] = statusesWithOutcome('success');

/** The counter column of each status in `capsule_run_rollups`. */
export const ROLLUP_COUNTERS = {
  running: 'running_runs',
  success: 'successful_runs',
  error: 'error_runs',
  timeout: 'timeout_runs',
  cancelled: 'cancelled_runs',
} as const satisfies Record<RunStatus, string>;

export type RollupCounter = (typeof ROLLUP_COUNTERS)[RunStatus];

export function isFailedRunStatus(status: string | null): boolean {
  return status !== null && (FAILED_RUN_STATUSES as readonly string[]).includes(status);
}

/**
 * Buckets of the runtime histogram in the rollups (`runtime_bucket()` and
 * `runtime_histogram_of()` in the CreateRunRollups migration compute the same):
 * - bucket 0 holds runtimes of 0 ms;
 * - bucket k >= 1 holds runtimes in [2^((k-1)/4), 2^(k/4)) ms;
 * - bucket 127 is open-ended (from about 2^31.5 ms, 35 days).
 */
export const HISTOGRAM_BUCKETS = 128;

export function bucketOf(ms: number): number {
  if (ms <= 0) return 0;
  return Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(4 * Math.log2(ms) + 1e-9) + 1);
}
