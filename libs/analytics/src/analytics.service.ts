import { Injectable } from '@nestjs/common';
import { CronSchedule, scheduleState } from '@app/capsules';
import { Clock } from '@app/common';
import { AnalyticsRepository, type PerformanceRow } from './analytics.repository';
import type { ScheduledEntryDto } from './dto/scheduled-entry.dto';

@Injectable()
export class AnalyticsService {
  constructor(
    private readonly analytics: AnalyticsRepository,
    private readonly clock: Clock,
  ) {}

  performance(filter: { kind?: string }): Promise<PerformanceRow[]> {
    return this.analytics.performance(filter);
  }

  /** Active capsules with a schedule: next fire time and state, both at the clock's now. */
  async scheduled(): Promise<ScheduledEntryDto[]> {
    const now = this.clock.now();
    const rows = await this.analytics.scheduled();
    return rows.map((row) => {
      const schedule = CronSchedule.parse(row.schedule);
      const { state } = scheduleState(
        {
          archived: false,
          schedule,
          timezone: row.timezone,
          graceSeconds: row.grace_seconds,
          maxRuntimeSeconds: row.max_runtime_seconds,
          lastRunAt: row.last_run_at,
          lastFinishedStatus: row.last_finished_status,
          oldestRunningStartedAt: row.oldest_running_started_at,
        },
        now,
      );
      return {
        slug: row.slug,
        title: row.title,
        kind: row.kind,
        schedule: row.schedule,
        timezone: row.timezone,
        entrypoint: row.entrypoint,
        next_run: schedule.next(now, row.timezone)?.toISOString() ?? null,
        last_run: row.last_run_at?.toISOString() ?? null,
        runs_today: row.runs_today,
        state,
      };
    });
  }
}
