import { Injectable } from '@nestjs/common';
import { CapsulesService } from '@app/capsules';
import { AnswerCache, Clock, RequestValidationError, type VersionedAnswer } from '@app/common';
import {
  type AnalyticsWindow,
  FAILED_RUN_STATUSES,
  ROLLUP_COUNTERS,
  type RollupCounter,
  SUCCESSFUL_RUN_STATUSES,
  windowChangesAt,
  windowStart,
} from '@app/database';
import { type ScheduleState, SchedulesService } from '@app/schedules';
import {
  AnalyticsRepository,
  type CapsulePerformanceRow,
  type LedgerPart,
  type RollupTotals,
  type SlotTotals,
} from './analytics.repository';
import type { PerformanceQueryDto, ScheduledQueryDto, StatsBucket, StatsQueryDto } from './dto/analytics-query.dto';
import {
  type KindPerformanceDto,
  type PerformanceEntryDto,
  type RevisionStatsDto,
  type RunMetricsDto,
  type StatsBucketDto,
} from './dto/performance-entry.dto';
import { SlotCountsDto } from './dto/slots.dto';
import { ScheduledEntryDto } from './dto/scheduled-entry.dto';
import { mergeHistograms, percentile } from './runtime-histogram';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const iso = (d: Date | null) => d?.toISOString() ?? null;
const latest = (a: Date | null, b: Date | null) => (a && b ? (a > b ? a : b) : (a ?? b));
const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

/** Bytes of JSON answers kept for conditional and repeated reads (ADR 15). */
const ANSWER_CACHE_BYTES = 16 * 1024 * 1024;

/** Counts, success rate and runtimes (exact mean, histogram percentiles) of a rollup total. */
export function metrics(t: RollupTotals): RunMetricsDto {
  const failed = FAILED_RUN_STATUSES.reduce((n, status) => n + t[ROLLUP_COUNTERS[status]], 0);
  const succeeded = SUCCESSFUL_RUN_STATUSES.reduce((n, status) => n + t[ROLLUP_COUNTERS[status]], 0);
  const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms) / 1000);
  return {
    total_runs: t.total_runs,
    successful_runs: succeeded,
    failed_runs: failed,
    success_rate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
    avg_runtime_seconds: t.runtime_count === 0 ? null : t.runtime_sum_ms / t.runtime_count / 1000,
    p50_runtime_seconds: seconds(percentile(t.runtime_histogram, 0.5)),
    p95_runtime_seconds: seconds(percentile(t.runtime_histogram, 0.95)),
  };
}

@Injectable()
export class AnalyticsService {
  private readonly answers = new AnswerCache(ANSWER_CACHE_BYTES);

  constructor(
    private readonly analytics: AnalyticsRepository,
    private readonly capsules: CapsulesService,
    private readonly schedules: SchedulesService,
    private readonly clock: Clock,
  ) {}

  /**
   * `performance` as a versioned answer: computed once per ledger version and window bucket,
   * whoever asks (ADR 15).
   */
  async performanceAnswer(query: PerformanceQueryDto): Promise<VersionedAnswer> {
    const window = query.window ?? 'all';
    const { kind, revision, group_by: groupBy } = query;
    const key = JSON.stringify(['performance', window, kind ?? null, revision ?? null, groupBy ?? null]);
    return this.versioned(key, ['registry', 'runs', 'slots'], async (now) => ({
      value:
        groupBy === 'kind'
          ? await this.performanceByKind(window, kind, revision, now)
          : await this.performance(window, kind, revision, now),
      changesAt: windowChangesAt(window, now),
    }));
  }

  /** `scheduled` as a versioned answer, true until its earliest deadline, next run or local midnight. */
  async scheduledAnswer(query: ScheduledQueryDto): Promise<VersionedAnswer> {
    const states = [...new Set(query.state ?? [])].sort();
    // Scheduled entries read no slots: the closer's writes leave them as they were.
    return this.versioned(JSON.stringify(['scheduled', states]), ['registry', 'runs'], async (now) => {
      const { capsules, changesAt } = await this.schedules.scheduled(states, now);
      return { value: capsules.map(ScheduledEntryDto.fromScheduled), changesAt };
    });
  }

  async performance(
    window: AnalyticsWindow,
    kind?: string,
    revision?: 'current',
    now = this.clock.now(),
  ): Promise<PerformanceEntryDto[]> {
    const rows = await this.performanceRows(window, now, kind, revision);
    return rows.map((row) => ({
      capsule_slug: row.capsule_slug,
      capsule_title: row.capsule_title,
      kind: row.kind,
      ...metrics(row),
      last_run_at: iso(row.last_run_at),
      last_success_at: iso(row.last_success_at),
      last_failure_at: iso(row.last_failure_at),
      uptime: slotCounts(row),
    }));
  }

  /** The same statistics merged per kind (kind order). */
  async performanceByKind(
    window: AnalyticsWindow,
    kind?: string,
    revision?: 'current',
    now = this.clock.now(),
  ): Promise<KindPerformanceDto[]> {
    const groups = new Map<string, CapsulePerformanceRow[]>();
    for (const row of await this.performanceRows(window, now, kind, revision)) {
      groups.set(row.kind, [...(groups.get(row.kind) ?? []), row]);
    }
    return [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([groupKind, rows]) => {
        const sum = (key: keyof RollupTotals | keyof SlotTotals) =>
          rows.reduce((total, r) => total + (r[key] as number), 0);
        const totals: RollupTotals = {
          total_runs: sum('total_runs'),
          ...counters((counter) => sum(counter)),
          runtime_count: sum('runtime_count'),
          runtime_sum_ms: sum('runtime_sum_ms'),
          runtime_histogram: mergeHistograms(rows.map((r) => r.runtime_histogram)),
        };
        return {
          kind: groupKind,
          capsules: rows.length,
          ...metrics(totals),
          last_run_at: iso(rows.map((r) => r.last_run_at).reduce(latest, null)),
          last_success_at: iso(rows.map((r) => r.last_success_at).reduce(latest, null)),
          last_failure_at: iso(rows.map((r) => r.last_failure_at).reduce(latest, null)),
          uptime: SlotCountsDto.of({
            on_time: sum('slots_on_time'),
            late: sum('slots_late'),
            missed: sum('slots_missed'),
            paused: sum('slots_paused'),
          }),
        };
      });
  }

  /** One entry per hour or day of the window, empty ones included, for charts. */
  async stats(slug: string, query: StatsQueryDto): Promise<StatsBucketDto[]> {
    const window = query.window ?? '30d';
    const bucket: StatsBucket = query.bucket ?? 'day';
    if (bucket === 'hour' && window === 'all') {
      throw new RequestValidationError([{ field: 'bucket', message: 'bucket=hour needs a window of 24h, 7d or 30d' }]);
    }
    const capsule = await this.capsules.get(slug);
    const now = this.clock.now();
    const unit = bucket === 'hour' ? HOUR_MS : DAY_MS;
    const since = windowStart(window, now).since;
    const rows = await this.analytics.buckets(capsule.id, bucket, since);
    const byStart = new Map(rows.map((r) => [r.bucket_start.getTime(), r]));
    const first = since ? floorTo(since.getTime(), unit) : rows[0]?.bucket_start.getTime();
    if (first === undefined) return [];
    const entries: StatsBucketDto[] = [];
    for (let t = first; t <= now.getTime(); t += unit) {
      const row = byStart.get(t) ?? EMPTY;
      entries.push({
        bucket_start: new Date(t).toISOString(),
        ...metrics(row),
        ...counters((counter) => row[counter]),
      });
    }
    return entries;
  }

  /**
   * All-time statistics per definition revision, newest first: "did 2.0.0 make it slower or
   * flakier than 1.9.3?", from the revision rollups (exact counts, histogram percentiles).
   */
  async statsByRevision(slug: string): Promise<RevisionStatsDto[]> {
    const capsule = await this.capsules.get(slug);
    return (await this.analytics.revisions(capsule.id)).map((row) => ({
      revision: row.revision,
      version: row.version,
      became_current_at: iso(row.became_current_at),
      ...metrics(row),
      ...counters((counter) => row[counter]),
    }));
  }

  /** Runs in the ledger by status (for /metrics). */
  runTotalsByStatus(): ReturnType<AnalyticsRepository['runTotalsByStatus']> {
    return this.analytics.runTotalsByStatus();
  }

  /** How many capsules with a schedule are in each schedule state now (for /metrics). */
  scheduleStateCounts(): Promise<Record<ScheduleState, number>> {
    return this.schedules.stateCounts();
  }

  /**
   * The answer to `key` as of the ledger version read now: kept, shared with a computation in
   * flight, or computed (the version is read first, so the answer is at least that new).
   */
  private async versioned(
    key: string,
    parts: readonly LedgerPart[],
    compute: (now: Date) => Promise<{ value: unknown; changesAt: Date | null }>,
  ): Promise<VersionedAnswer> {
    const version = await this.analytics.ledgerVersion(parts);
    return this.answers.answer(key, version, this.clock.now(), compute);
  }

  private performanceRows(
    window: AnalyticsWindow,
    now: Date,
    kind?: string,
    revision?: 'current',
  ): Promise<CapsulePerformanceRow[]> {
    if (revision === 'current') {
      // Revision rollups are all-time only (a revision is itself a span of time).
      if (window !== 'all') {
        throw new RequestValidationError([{ field: 'revision', message: 'revision=current needs window=all' }]);
      }
      return this.analytics.performanceCurrentRevision(kind);
    }
    const { grain, since } = windowStart(window, now);
    return this.analytics.performance(grain, since, kind);
  }
}

/** A row's slot totals as the uptime of its entry. */
function slotCounts(row: SlotTotals): SlotCountsDto {
  return SlotCountsDto.of({
    on_time: row.slots_on_time,
    late: row.slots_late,
    missed: row.slots_missed,
    paused: row.slots_paused,
  });
}

/** One value per rollup counter (a counter per run status). */
function counters(value: (counter: RollupCounter) => number): Record<RollupCounter, number> {
  return Object.fromEntries(Object.values(ROLLUP_COUNTERS).map((c) => [c, value(c)])) as Record<RollupCounter, number>;
}

const EMPTY: RollupTotals = {
  total_runs: 0,
  ...counters(() => 0),
  runtime_count: 0,
  runtime_sum_ms: 0,
  runtime_histogram: null,
};
