import { ApiProperty } from '@nestjs/swagger';
import { isFailedRunStatus } from '@app/database';
import type { CronSchedule } from './cron';

export const SCHEDULE_STATES = ['new', 'up', 'late', 'down', 'paused'] as const;
export type ScheduleState = (typeof SCHEDULE_STATES)[number];

/** How a `state` field is documented wherever it appears. */
export const ScheduleStateProperty = () =>
  ApiProperty({
    enum: SCHEDULE_STATES,
    example: 'up',
    description:
      'new: never ran; up: next due time not reached; late: due but within grace_seconds; down: past grace, ' +
      'latest finished run failed, or a run stuck past max_runtime_seconds; paused: archived',
  });

export interface ScheduleStateInput {
  archived: boolean;
  schedule: CronSchedule | null;
  timezone: string;
  graceSeconds: number;
  maxRuntimeSeconds: number | null;
  /** Start of the latest run. */
  lastRunAt: Date | null;
  /** Status of the latest finished (not running) run. */
  lastFinishedStatus: string | null;
  /** Start of the oldest run still running. */
  oldestRunningStartedAt: Date | null;
}

export interface ScheduleStateResult {
  state: ScheduleState;
  /** First fire time after the latest run started (null without schedule or runs). */
  due: Date | null;
}

/**
 * Healthchecks-style state, derived at read time from stored instants in UTC
 * arithmetic:
 * - paused: the capsule is archived;
 * - new: it never ran;
 * - down: its latest finished run failed, or a run is still running past
 *   max_runtime_seconds, or now >= due + grace;
 * - late: due <= now < due + grace;
 * - up: now < due (or, without a schedule, nothing is wrong).
 * `due` is the first fire time after the start of the latest run.
 */
export function scheduleState(input: ScheduleStateInput, now: Date): ScheduleStateResult {
  if (input.archived) return { state: 'paused', due: null };
  if (input.lastRunAt === null) return { state: 'new', due: null };
  const due = input.schedule ? input.schedule.next(input.lastRunAt, input.timezone) : null;
  const nowMs = now.getTime();
  const failed = isFailedRunStatus(input.lastFinishedStatus);
  const stuck =
    input.maxRuntimeSeconds !== null &&
    input.oldestRunningStartedAt !== null &&
    nowMs >= input.oldestRunningStartedAt.getTime() + input.maxRuntimeSeconds * 1000;
  if (failed || stuck) return { state: 'down', due };
  if (due === null) return { state: 'up', due };
  const dueMs = due.getTime();
  if (nowMs < dueMs) return { state: 'up', due };
  if (nowMs < dueMs + input.graceSeconds * 1000) return { state: 'late', due };
  return { state: 'down', due };
}

/**
 * The first instant after `now` at which time alone may change `scheduleState(input, ·)`: the
 * due time, the end of the grace, or the moment a running run outlives max_runtime_seconds
 * (null: time alone changes nothing). It may come early (the state may stay), never late.
 */
export function stateChangesAt(
  input: Pick<ScheduleStateInput, 'graceSeconds' | 'maxRuntimeSeconds' | 'oldestRunningStartedAt'>,
  due: Date | null,
  now: Date,
): Date | null {
  const candidates = [
    due?.getTime(),
    due ? due.getTime() + input.graceSeconds * 1000 : undefined,
    input.maxRuntimeSeconds !== null && input.oldestRunningStartedAt !== null
      ? input.oldestRunningStartedAt.getTime() + input.maxRuntimeSeconds * 1000
      : undefined,
  ];
  return earliestAfter(now, candidates);
}

/** The earliest of `instants` (epoch ms) after `now`, or null. */
export function earliestAfter(now: Date, instants: readonly (number | null | undefined)[]): Date | null {
  let earliest = Infinity;
  for (const t of instants) if (t != null && t > now.getTime() && t < earliest) earliest = t;
  return earliest === Infinity ? null : new Date(earliest);
}
