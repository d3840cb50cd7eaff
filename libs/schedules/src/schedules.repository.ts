import { Injectable } from '@nestjs/common';
import { Database, type Queries, sql } from '@app/database';
import type { DefinitionPeriod, SlotRun } from './slots';

/** What a capsule's schedule state needs from its runs (the `capsule_run_summary` view). */
export interface RunSummary {
  /** Start of the latest run. */
  last_run_at: Date | null;
  /** Status of the latest finished (not running) run. */
  last_finished_status: string | null;
  /** Start of the oldest run still running. */
  oldest_running_started_at: Date | null;
}

/** The part of a capsule definition its schedule state depends on. */
export interface ScheduleDefinition {
  status: string;
  schedule: string | null;
  timezone: string;
  grace_seconds: number;
  max_runtime_seconds: number | null;
}

/** An active capsule with a schedule, its definition and its run summary. */
export interface ScheduledRow extends ScheduleDefinition, RunSummary {
  capsule_id: number;
  slug: string;
  title: string;
  kind: string;
  schedule: string;
  entrypoint: string;
}

const NO_RUNS: RunSummary = { last_run_at: null, last_finished_status: null, oldest_running_started_at: null };

/**
 * Reads what schedule state is derived from: the capsules' definitions and the run summary
 * view. Writes nothing (the registry and the ledger own these tables).
 */
@Injectable()
export class SchedulesRepository {
  constructor(private readonly db: Database) {}

  async runSummary(capsuleId: number): Promise<RunSummary> {
    const row = await this.db.first<RunSummary>(
      sql`SELECT last_run_at, last_finished_status, oldest_running_started_at
          FROM capsule_run_summary WHERE capsule_id = ${capsuleId}`,
    );
    return row ?? NO_RUNS;
  }

  /** Active capsules with a schedule, slug order, with their run summaries. */
  scheduled(): Promise<ScheduledRow[]> {
    return this.db.rows<ScheduledRow>(
      sql`SELECT c.id AS capsule_id, c.slug, c.title, c.kind, c.status, c.schedule, c.timezone, c.entrypoint,
                 c.grace_seconds, c.max_runtime_seconds,
                 s.last_run_at, s.last_finished_status, s.oldest_running_started_at
          FROM capsules c JOIN capsule_run_summary s ON s.capsule_id = c.id
          WHERE c.status = 'active' AND c.schedule IS NOT NULL
          ORDER BY c.slug`,
    );
  }

  /** Archived capsules that keep a schedule: their schedule is paused. */
  async countPausedSchedules(): Promise<number> {
    const row = await this.db.first<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM capsules WHERE status = 'archived' AND schedule IS NOT NULL`,
    );
    return row?.n ?? 0;
  }

  /**
   * Runs started in [since, until] per capsule, and the first start after `until` (a run reported
   * ahead of the clock, counted once its start passes): an index range per capsule, so its cost
   * is that of one day of runs, not of the history.
   */
  async countStartedBetween(
    windows: { capsuleId: number; since: Date }[],
    until: Date,
  ): Promise<Map<number, { count: number; nextStart: Date | null }>> {
    if (windows.length === 0) return new Map();
    const rows = await this.db.rows<{ capsule_id: number; n: number; next_start: Date | null }>(
      sql`SELECT w.capsule_id,
                 (SELECT count(*)::int FROM capsule_runs r
                  WHERE r.capsule_id = w.capsule_id AND r.started_at >= w.since AND r.started_at <= ${until}) AS n,
                 (SELECT min(r.started_at) FROM capsule_runs r
                  WHERE r.capsule_id = w.capsule_id AND r.started_at > ${until}) AS next_start
          FROM unnest(${windows.map((w) => w.capsuleId)}::int[], ${windows.map((w) => w.since)}::timestamptz[])
               AS w(capsule_id, since)`,
    );
    return new Map(rows.map((r) => [r.capsule_id, { count: r.n, nextStart: r.next_start }]));
  }

  /**
   * The capsule's definitions in the order they took effect (its version history), the first
   * from the capsule's creation: what decides its slots at every instant.
   */
  async definitionPeriods(capsuleId: number, q: Queries = this.db): Promise<DefinitionPeriod[]> {
    const rows = await q.rows<{
      revision: number;
      definition: Record<string, unknown>;
      from: Date;
      until: Date | null;
    }>(
      sql`SELECT v.revision, v.definition,
                 CASE WHEN v.revision = min(v.revision) OVER () THEN LEAST(v.changed_at, c.created_at)
                      ELSE v.changed_at END AS from,
                 lead(v.changed_at) OVER (ORDER BY v.revision) AS until
          FROM capsule_versions v JOIN capsules c ON c.id = v.capsule_id
          WHERE v.capsule_id = ${capsuleId}
          ORDER BY v.revision`,
    );
    return rows.map((row) => ({
      revision: row.revision,
      from: row.from,
      until: row.until,
      schedule: typeof row.definition.schedule === 'string' ? row.definition.schedule : null,
      timezone: typeof row.definition.timezone === 'string' ? row.definition.timezone : 'UTC',
      graceSeconds: typeof row.definition.grace_seconds === 'number' ? row.definition.grace_seconds : 0,
      archived: row.definition.status === 'archived',
    }));
  }

  /**
   * The runs started in [from, to), oldest first: one range of the capsule's (capsule_id,
   * started_at, id) index, whatever the history's size. The capsule id goes in as a sub-select so
   * the planner estimates an average capsule: told the id of one with a long history, it expects
   * most of the range's rows to be its and scans the global newest-first index over every
   * capsule's runs of the range instead (41 ms instead of 1 ms at a million runs of one capsule).
   */
  async runStartsBetween(capsuleId: number, from: Date, to: Date | null, limit: number): Promise<SlotRun[]> {
    const upper = to ? sql`AND started_at < ${to}` : sql``;
    const rows = await this.db.rows<{ id: string; status: string; started_at: Date }>(
      sql`SELECT id, status, started_at FROM capsule_runs
          WHERE capsule_id = (SELECT ${capsuleId}::int) AND started_at >= ${from} ${upper}
          ORDER BY capsule_id, started_at, id LIMIT ${limit}`,
    );
    return rows.map((r) => ({ id: String(r.id), status: r.status, startedAt: r.started_at }));
  }
}
