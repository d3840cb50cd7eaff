import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { CronSchedule } from './cron';
import { startOfLocalDay, startOfNextLocalDay } from './local-day';
import { earliestAfter, SCHEDULE_STATES, type ScheduleState, scheduleState, stateChangesAt } from './schedule-state';
import {
  type RunSummary,
  type ScheduleDefinition,
  type ScheduledRow,
  SchedulesRepository,
} from './schedules.repository';

/** A capsule's schedule as of now. */
export interface ScheduleStatus {
  state: ScheduleState;
  /** Next fire time after now; null without a schedule or while not active. */
  nextRun: Date | null;
  /** Start of the latest run. */
  lastRun: Date | null;
  /** The first instant after now at which time alone may change the state or next run (null: never). */
  changesAt: Date | null;
}

/** An active scheduled capsule with its schedule status and the runs of its local day. */
export interface ScheduledCapsule extends ScheduleStatus {
  capsule: ScheduledRow;
  /** Runs started since the start of the current day in the capsule's time zone. */
  runsToday: number;
}

/** The scheduled capsules as of one instant, and until when time alone leaves that answer true. */
export interface ScheduledAnswer {
  capsules: ScheduledCapsule[];
  /** The first instant after now at which any entry may change without a write (null: never). */
  changesAt: Date | null;
}

/**
 * Owns schedule state: it is derived at read time from a capsule's definition and the summary
 * of its runs (`scheduleState`), here and nowhere else.
 */
@Injectable()
export class SchedulesService {
  constructor(
    private readonly schedules: SchedulesRepository,
    private readonly clock: Clock,
  ) {}

  /** The schedule status of one capsule, at the clock's now. */
  async statusOf(capsule: ScheduleDefinition & { id: number }): Promise<ScheduleStatus> {
    return statusAt(capsule, await this.schedules.runSummary(capsule.id), this.clock.now());
  }

  /**
   * Active capsules with a schedule (slug order), optionally only those in `states`, and the first
   * instant at which time alone changes one of them: a state's deadline, a next run reached, a
   * local midnight (today's count resets), or the start of a run reported ahead of the clock.
   */
  async scheduled(states?: readonly ScheduleState[], now = this.clock.now()): Promise<ScheduledAnswer> {
    const rows = await this.schedules.scheduled();
    const today = await this.schedules.countStartedBetween(
      rows.map((row) => ({ capsuleId: row.capsule_id, since: startOfLocalDay(now, row.timezone) })),
      now,
    );
    const all = rows.map((row) => {
      const runs = today.get(row.capsule_id);
      const status = statusAt(row, row, now);
      const changesAt = earliestAfter(now, [
        status.changesAt?.getTime(),
        startOfNextLocalDay(now, row.timezone)?.getTime(),
        runs?.nextStart?.getTime(),
      ]);
      return { capsule: row, ...status, changesAt, runsToday: runs?.count ?? 0 };
    });
    return {
      capsules: all.filter((entry) => !states?.length || states.includes(entry.state)),
      // Filtered out or not: a row whose state changes may enter the filter.
      changesAt: earliestAfter(
        now,
        all.map((entry) => entry.changesAt?.getTime()),
      ),
    };
  }

  /**
   * How many capsules with a schedule are in each state now, archived ones as `paused` (for
   * /metrics): the states only, without the day's run counts.
   */
  async stateCounts(): Promise<Record<ScheduleState, number>> {
    const now = this.clock.now();
    const counts = Object.fromEntries(SCHEDULE_STATES.map((state) => [state, 0])) as Record<ScheduleState, number>;
    for (const row of await this.schedules.scheduled()) counts[statusAt(row, row, now).state]++;
    counts.paused = await this.schedules.countPausedSchedules();
    return counts;
  }
}

/** The one place a definition and a run summary become a schedule status. */
function statusAt(definition: ScheduleDefinition, runs: RunSummary, now: Date): ScheduleStatus {
  const schedule = definition.schedule ? CronSchedule.parse(definition.schedule) : null;
  const active = definition.status === 'active';
  const { state, due } = scheduleState(
    {
      archived: definition.status === 'archived',
      schedule,
      timezone: definition.timezone,
      graceSeconds: definition.grace_seconds,
      maxRuntimeSeconds: definition.max_runtime_seconds,
      lastRunAt: runs.last_run_at,
      lastFinishedStatus: runs.last_finished_status,
      oldestRunningStartedAt: runs.oldest_running_started_at,
    },
    now,
  );
  const nextRun = schedule && active ? schedule.next(now, definition.timezone) : null;
  const input = { graceSeconds: definition.grace_seconds, maxRuntimeSeconds: definition.max_runtime_seconds };
  const changesAt = earliestAfter(now, [
    nextRun?.getTime(),
    stateChangesAt({ ...input, oldestRunningStartedAt: runs.oldest_running_started_at }, due, now)?.getTime(),
  ]);
  return { state, nextRun, lastRun: runs.last_run_at, changesAt };
}
