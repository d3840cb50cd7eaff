import { isFailedRunStatus, RUN_OUTCOMES, type RunStatus } from '@app/database';

/** A capsule's alert status: the last state a flip set (`late` is never stored: it is grace). */
export const ALERT_STATUSES = ['new', 'up', 'down', 'paused'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Why a capsule's alert status changed (the CHECK in the CreateAlerts migration lists the same). */
export const FLIP_REASONS = [
  'missed',
  'failed',
  'failure_streak',
  'failure_rate',
  'stuck',
  'slow',
  'fast',
  'recovered',
  'paused',
  'resumed',
] as const;
export type FlipReason = (typeof FLIP_REASONS)[number];

/**
 * When a capsule counts as down. Stored per capsule as given (jsonb); what is not given takes
 * its default from DEFAULT_RULES, so changing a default changes every capsule that kept it.
 */
export interface AlertRules {
  /** Down when no run started by the due time + grace_seconds. */
  missed: boolean;
  /**
   * Down after failed runs: `after` consecutive failures (1 = at the first), or, with `rate`,
   * when at least that share of the last `window` finished runs failed.
   */
  failure: { after: number } | { rate: number; window: number };
  /** Down when a run is still running past the capsule's max_runtime_seconds. */
  stuck: boolean;
  /** Down when a successful run took longer than `max_seconds`, or than p95 × `p95_factor`. */
  slow: { max_seconds?: number; p95_factor?: number };
  /** Down when a successful run took less than `min_seconds`, or than p5 ÷ `p5_divisor`. */
  fast: { min_seconds?: number; p5_divisor?: number };
  /** Notify when a capsule that was down is up again (the flip is recorded either way). */
  recovery: boolean;
}

export const DEFAULT_RULES: AlertRules = {
  missed: true,
  failure: { after: 1 },
  stuck: true,
  slow: {},
  fast: {},
  recovery: true,
};

/** The rolling percentiles are read over this many recent successful runs… */
export const ROLLING_RUNS = 50;
/** …and only once there are at least this many (fewer say nothing about "usual"). */
export const MIN_ROLLING_RUNS = 10;

/** The stored rules with the defaults for what they do not say. */
export function effectiveRules(stored: Partial<AlertRules> | null | undefined): AlertRules {
  return { ...DEFAULT_RULES, ...(stored ?? {}) };
}

/** A state change to write, with the instant it happened. */
export interface Flip {
  from: AlertStatus;
  to: AlertStatus;
  reason: FlipReason;
  at: Date;
}

/** What a finished run's evaluation needs to know. */
export interface FinishedRunFacts {
  status: RunStatus;
  durationMs: number | null;
  completedAt: Date;
  /** Statuses of the capsule's latest finished runs, newest first, this run included. */
  recentStatuses: readonly RunStatus[];
  /** p95 and p5 of the durations of the successful runs before this one (null: too few). */
  rolling: { p95Ms: number; p5Ms: number } | null;
}

/**
 * The flip a finished run causes, or null. A failure flips an up (or new) capsule to down when
 * the failure rule says so; a success that breaks a duration rule flips it down as well; any
 * other success flips a down capsule up (`recovered`), unless a rate rule still sees the failure
 * rate at its threshold. A paused capsule does not flip on runs.
 */
export function flipForFinishedRun(status: AlertStatus, rules: AlertRules, run: FinishedRunFacts): Flip | null {
  if (status === 'paused') return null;
  const down = (reason: FlipReason): Flip | null =>
    status === 'down' ? null : { from: status, to: 'down', reason, at: run.completedAt };
  if (isFailedRunStatus(run.status)) {
    const reason = failureReason(rules.failure, run.recentStatuses);
    return reason ? down(reason) : null;
  }
  if (RUN_OUTCOMES[run.status] !== 'success') return null;
  const anomaly = durationAnomaly(rules, run.durationMs, run.rolling);
  if (anomaly) return down(anomaly);
  if (status !== 'down') return null;
  // Under a rate rule, one success does not end a failure rate still at the threshold.
  if ('rate' in rules.failure && failureReason(rules.failure, run.recentStatuses) !== null) return null;
  return { from: 'down', to: 'up', reason: 'recovered', at: run.completedAt };
}

/** Which failure rule the latest runs break, if any (the newest run is a failure). */
export function failureReason(rule: AlertRules['failure'], recent: readonly RunStatus[]): FlipReason | null {
  if ('rate' in rule) {
    const window = recent.slice(0, rule.window);
    // A rate over fewer runs than the window would alert on the first failure of a new capsule.
    if (window.length < rule.window) return null;
    const failed = window.filter((s) => isFailedRunStatus(s)).length;
    return failed / window.length >= rule.rate ? 'failure_rate' : null;
  }
  let streak = 0;
  while (streak < recent.length && isFailedRunStatus(recent[streak] ?? null)) streak++;
  if (streak < rule.after) return null;
  return rule.after === 1 ? 'failed' : 'failure_streak';
}

/** `slow` or `fast` when a successful run's duration breaks a duration rule. */
export function durationAnomaly(
  rules: Pick<AlertRules, 'slow' | 'fast'>,
  durationMs: number | null,
  rolling: FinishedRunFacts['rolling'],
): 'slow' | 'fast' | null {
  if (durationMs === null) return null;
  const { max_seconds, p95_factor } = rules.slow;
  if (max_seconds !== undefined && durationMs > max_seconds * 1000) return 'slow';
  if (p95_factor !== undefined && rolling && durationMs > rolling.p95Ms * p95_factor) return 'slow';
  const { min_seconds, p5_divisor } = rules.fast;
  if (min_seconds !== undefined && durationMs < min_seconds * 1000) return 'fast';
  if (p5_divisor !== undefined && rolling && durationMs < rolling.p5Ms / p5_divisor) return 'fast';
  return null;
}

/**
 * Whether a report can change nothing, so the report skips the evaluation (the common case of a
 * hot path: an up capsule's success). Its alert_after may then stay earlier than the new
 * deadline (a new run only moves the missed deadline later): the detector wakes at it, finds
 * nothing due, and moves it. A report that could flip, make a new capsule up, or start a run that
 * can get stuck is never quiet.
 */
export function isQuietReport(
  status: AlertStatus,
  rules: AlertRules,
  maxRuntimeSeconds: number | null,
  runStatus: RunStatus,
): boolean {
  if (status === 'paused') return true;
  if (status === 'new') return false;
  switch (RUN_OUTCOMES[runStatus]) {
    case 'open':
      return status === 'down' || !rules.stuck || maxRuntimeSeconds === null;
    case 'neutral':
      return true;
    case 'failure':
      return status === 'down';
    case 'success':
      // A recovery, or (up) a duration rule to check.
      return status === 'up' && !hasDurationRules(rules);
  }
}

function hasDurationRules(rules: AlertRules): boolean {
  return Object.keys(rules.slow).length > 0 || Object.keys(rules.fast).length > 0;
}

/** Whether the rolling percentiles are needed at all (they cost a query). */
export function needsRolling(rules: AlertRules): boolean {
  return rules.slow.p95_factor !== undefined || rules.fast.p5_divisor !== undefined;
}

/** How many recent finished runs the failure rule looks at. */
export function recentRunsNeeded(rules: AlertRules): number {
  return 'rate' in rules.failure ? rules.failure.window : rules.failure.after;
}

/** The time-driven facts of a capsule the detector (and a report) derive deadlines from. */
export interface DeadlineFacts {
  archived: boolean;
  /** The capsule's next due time after its latest run started (null: no schedule or no run). */
  due: Date | null;
  graceSeconds: number;
  maxRuntimeSeconds: number | null;
  /** Start of the oldest run still running. */
  oldestRunningStartedAt: Date | null;
}

/** The instants at which a capsule that is up goes down by time alone. */
export function deadlines(rules: AlertRules, facts: DeadlineFacts): { missed: Date | null; stuck: Date | null } {
  if (facts.archived) return { missed: null, stuck: null };
  const missed = rules.missed && facts.due ? new Date(facts.due.getTime() + facts.graceSeconds * 1000) : null;
  const stuck =
    rules.stuck && facts.maxRuntimeSeconds !== null && facts.oldestRunningStartedAt
      ? new Date(facts.oldestRunningStartedAt.getTime() + facts.maxRuntimeSeconds * 1000)
      : null;
  return { missed, stuck };
}

/**
 * When the detector must look at the capsule next: the earlier deadline while it can still go
 * down by time (up, or new with a running run), nothing while it is down or paused (only a
 * report changes that).
 */
export function alertAfter(status: AlertStatus, rules: AlertRules, facts: DeadlineFacts): Date | null {
  if (status === 'down' || status === 'paused') return null;
  const { missed, stuck } = deadlines(rules, facts);
  const candidates = [status === 'up' ? missed : null, stuck].filter((d): d is Date => d !== null);
  if (candidates.length === 0) return null;
  return new Date(Math.min(...candidates.map((d) => d.getTime())));
}

/**
 * The flip time alone causes at `now`, or null: stuck (a run past its max runtime) comes before
 * missed when both are due, each at its computed instant, never at `now`.
 */
export function flipByTime(status: AlertStatus, rules: AlertRules, facts: DeadlineFacts, now: Date): Flip | null {
  if (status === 'down' || status === 'paused') return null;
  const { missed, stuck } = deadlines(rules, facts);
  const nowMs = now.getTime();
  if (stuck && stuck.getTime() <= nowMs) return { from: status, to: 'down', reason: 'stuck', at: stuck };
  if (status === 'up' && missed && missed.getTime() <= nowMs) {
    return { from: status, to: 'down', reason: 'missed', at: missed };
  }
  return null;
}
