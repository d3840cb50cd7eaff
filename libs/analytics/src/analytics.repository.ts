import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface PerformanceRow {
  capsule_slug: string;
  capsule_title: string;
  kind: string;
  total_runs: number;
  successful_runs: number;
  failed_runs: number;
  success_rate: number | null;
  avg_runtime_seconds: number | null;
  p50_runtime_seconds: number | null;
  p95_runtime_seconds: number | null;
  last_run_at: Date | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
}

export interface ScheduledRow {
  slug: string;
  title: string;
  kind: string;
  schedule: string;
  timezone: string;
  entrypoint: string;
  grace_seconds: number;
  max_runtime_seconds: number | null;
  last_run_at: Date | null;
  last_finished_status: string | null;
  oldest_running_started_at: Date | null;
  runs_today: number;
}

/** Reads the analytics views (defined in migrations); owns no writes. */
@Injectable()
export class AnalyticsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  performance(filter: { kind?: string }): Promise<PerformanceRow[]> {
    const params: unknown[] = [];
    let where = '';
    if (filter.kind !== undefined) {
      params.push(filter.kind);
      where = 'WHERE kind = $1';
    }
    return this.db.query(
      `SELECT capsule_slug, capsule_title, kind, total_runs, successful_runs, failed_runs, success_rate,
              avg_runtime_seconds, p50_runtime_seconds, p95_runtime_seconds,
              last_run_at, last_success_at, last_failure_at
       FROM capsule_performance ${where} ORDER BY capsule_slug`,
      params,
    );
  }

  scheduled(): Promise<ScheduledRow[]> {
    return this.db.query(
      `SELECT slug, title, kind, schedule, timezone, entrypoint, grace_seconds, max_runtime_seconds,
              last_run_at, last_finished_status, oldest_running_started_at, runs_today
       FROM scheduled_capsules ORDER BY slug`,
    );
  }
}
