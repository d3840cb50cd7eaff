/**
 * The run ledger's vocabulary, declared once: the TypeScript types, the SQL
 * that sums the rollups and the schedule state read it from here. The
 * migrations spell the same words in SQL (the status CHECK, the rollup
 * counters, the triggers' failure test); `test/database/vocabulary.db-spec.ts`
 * fails when the two disagree. Adding a status: here, plus a migration.
 */
export const RUN_STATUSES = ['running', 'success', 'error', 'timeout', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Outcomes that count as failures (success rate, `last_failure_at`, a capsule `down`). */
export const FAILED_RUN_STATUSES: readonly RunStatus[] = ['error', 'timeout'];

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
