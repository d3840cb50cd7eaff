import { Injectable } from '@nestjs/common';
import { Database, type Queries, type RunStatus, sql } from '@app/database';
import { type AlertRules, type AlertStatus, type Flip, MIN_ROLLING_RUNS, ROLLING_RUNS } from './alert-rules';

/** A capsule's alert row, locked for the transaction that read it. */
export interface AlertStateRow {
  capsule_id: number;
  status: AlertStatus;
  alert_after: Date | null;
  rules: Partial<AlertRules>;
  snoozed_until: Date | null;
  changed_at: Date | null;
}

/** The alert row with what a report needs to tell whether it can change anything. */
export interface LockedAlertRow extends AlertStateRow {
  max_runtime_seconds: number | null;
}

/** What a flip's evaluation and its notification need to know of a capsule. */
export interface AlertContextRow {
  capsule_id: number;
  slug: string;
  title: string;
  kind: string;
  tags: string[];
  capsule_status: string;
  schedule: string | null;
  timezone: string;
  grace_seconds: number;
  max_runtime_seconds: number | null;
  updated_at: Date;
  /** The definition's revision the context was read at. */
  revision: number;
  last_run_at: Date | null;
  oldest_running_started_at: Date | null;
  /** Latest finished runs' statuses, newest first (as many as the failure rule needs). */
  recent_statuses: RunStatus[];
  /** p95 / p5 of the recent successful runs' durations (null below MIN_ROLLING_RUNS). */
  p95_ms: number | null;
  p5_ms: number | null;
}

export interface FlipRow {
  id: string;
  from_status: string;
  to_status: string;
  reason: string;
  at: Date;
  run_id: string | null;
  notified: boolean;
}

/**
 * Alerts' tables: `capsule_alerts`, `capsule_flips` and the outbox rows a flip creates. Reads
 * the registry and the ledger, writes neither. Calls that take `tx` run in the caller's
 * transaction (a run report's, or a detector pass's).
 */
@Injectable()
export class AlertsRepository {
  constructor(private readonly db: Database) {}

  /**
   * The capsule's alert row, locked until the transaction ends (created on first use). The lock
   * orders a report and a detector pass on the same capsule: the second sees what the first wrote.
   */
  async lock(tx: Queries, capsuleId: number): Promise<LockedAlertRow> {
    const select = sql`SELECT a.capsule_id, a.status, a.alert_after, a.rules, a.snoozed_until, a.changed_at,
                              c.max_runtime_seconds
                       FROM capsule_alerts a JOIN capsules c ON c.id = a.capsule_id
                       WHERE a.capsule_id = ${capsuleId} FOR UPDATE OF a`;
    const row = await tx.first<LockedAlertRow>(select);
    if (row) return row;
    await tx.rows(sql`INSERT INTO capsule_alerts (capsule_id) VALUES (${capsuleId}) ON CONFLICT DO NOTHING`);
    return (await tx.first<LockedAlertRow>(select))!;
  }

  /**
   * The row of a capsule whose alert_after has passed, locked, or nothing when another detector
   * holds it or already moved its alert_after (so each flip happens once).
   */
  claimDue(tx: Queries, capsuleId: number, now: Date): Promise<AlertStateRow | undefined> {
    return tx.first<AlertStateRow>(
      sql`SELECT capsule_id, status, alert_after, rules, snoozed_until, changed_at
          FROM capsule_alerts WHERE capsule_id = ${capsuleId} AND alert_after <= ${now}
          FOR UPDATE SKIP LOCKED`,
    );
  }

  /** Capsules whose alert_after has passed, earliest first. */
  async dueCapsules(now: Date, limit: number): Promise<number[]> {
    const rows = await this.db.rows<{ capsule_id: number }>(
      sql`SELECT capsule_id FROM capsule_alerts WHERE alert_after <= ${now} ORDER BY alert_after LIMIT ${limit}`,
    );
    return rows.map((r) => r.capsule_id);
  }

  /** The earliest alert_after still ahead (the detector sleeps until then, at most a poll interval). */
  async nextAlertAfter(): Promise<Date | null> {
    const row = await this.db.first<{ at: Date | null }>(sql`SELECT min(alert_after) AS at FROM capsule_alerts`);
    return row?.at ?? null;
  }

  /**
   * Capsules whose definition changed (a new revision: schedule, grace, max runtime, archived or
   * restored) since their alert_after was computed.
   */
  async changedDefinitions(limit: number): Promise<number[]> {
    const rows = await this.db.rows<{ id: number }>(
      sql`SELECT c.id FROM capsules c JOIN capsule_alerts a ON a.capsule_id = c.id
          WHERE a.definition_revision IS DISTINCT FROM c.revision LIMIT ${limit}`,
    );
    return rows.map((r) => r.id);
  }

  /** Records the capsule's current revision as seen, without changing anything else. */
  async markDefinitionSeen(capsuleId: number): Promise<void> {
    await this.db.rows(
      sql`UPDATE capsule_alerts a SET definition_revision = c.revision FROM capsules c
          WHERE a.capsule_id = ${capsuleId} AND c.id = a.capsule_id`,
    );
  }

  /** The capsule and what its runs say now (read after the lock, so it includes the lock holder's run). */
  context(
    tx: Queries,
    capsuleId: number,
    recentRuns: number,
    /** Read the rolling percentiles, of the successes other than this run. */
    rollingExcept: string | null,
  ): Promise<AlertContextRow | undefined> {
    const rolling = rollingExcept !== null;
    const percentiles = rolling
      ? sql`(SELECT CASE WHEN count(*) >= ${MIN_ROLLING_RUNS} THEN percentile_cont(0.95) WITHIN GROUP (ORDER BY d) END
             FROM recent_successes) AS p95_ms,
            (SELECT CASE WHEN count(*) >= ${MIN_ROLLING_RUNS} THEN percentile_cont(0.05) WITHIN GROUP (ORDER BY d) END
             FROM recent_successes) AS p5_ms`
      : sql`NULL::float8 AS p95_ms, NULL::float8 AS p5_ms`;
    return tx.first<AlertContextRow>(
      sql`WITH recent_successes AS (
            -- the latest successes but the one being judged (it is not its own yardstick)
            SELECT duration_ms AS d FROM capsule_runs
            WHERE capsule_id = ${capsuleId} AND status = 'success' AND id <> ${rollingExcept ?? 0}
            ORDER BY started_at DESC, id DESC LIMIT ${rolling ? ROLLING_RUNS : 0})
          SELECT c.id AS capsule_id, c.slug, c.title, c.kind, c.tags, c.status AS capsule_status, c.schedule,
                 c.timezone, c.grace_seconds, c.max_runtime_seconds, c.updated_at, c.revision,
                 s.last_run_at, s.oldest_running_started_at,
                 ARRAY(SELECT r.status FROM capsule_runs r
                       WHERE r.capsule_id = c.id AND r.status <> 'running'
                       ORDER BY r.started_at DESC, r.id DESC LIMIT ${recentRuns}) AS recent_statuses,
                 ${percentiles}
          FROM capsules c JOIN capsule_run_summary s ON s.capsule_id = c.id
          WHERE c.id = ${capsuleId}`,
    );
  }

  /** Sets the row's status, its next alert_after and the definition revision it was computed for. */
  async update(
    tx: Queries,
    capsuleId: number,
    changes: { status: AlertStatus; alertAfter: Date | null; revision: number; changedAt?: Date },
  ): Promise<void> {
    await tx.rows(
      sql`UPDATE capsule_alerts SET status = ${changes.status}, alert_after = ${changes.alertAfter},
                 definition_revision = ${changes.revision},
                 changed_at = COALESCE(${changes.changedAt ?? null}::timestamptz, changed_at)
          WHERE capsule_id = ${capsuleId}`,
    );
  }

  /** Pushes a capsule's alert_after back (a pass that failed on it retries later, not at once). */
  async postpone(capsuleId: number, until: Date): Promise<void> {
    await this.db.rows(
      sql`UPDATE capsule_alerts SET alert_after = ${until} WHERE capsule_id = ${capsuleId} AND alert_after < ${until}`,
    );
  }

  async insertFlip(
    tx: Queries,
    capsuleId: number,
    flip: Flip,
    runId: string | null,
    notified: boolean,
  ): Promise<{ id: string; created_at: Date }> {
    const row = await tx.first<{ id: string; created_at: Date }>(
      sql`INSERT INTO capsule_flips (capsule_id, from_status, to_status, reason, at, run_id, notified)
          VALUES (${capsuleId}, ${flip.from}, ${flip.to}, ${flip.reason}, ${flip.at}, ${runId}, ${notified})
          RETURNING id, created_at`,
    );
    return row!;
  }

  /**
   * The flip's outbox rows: one per channel routed to the capsule (by slug, kind or tag; a channel
   * with no routing takes every capsule). Unique per (flip, channel), so never two.
   */
  async enqueue(
    tx: Queries,
    flipId: string,
    capsule: Pick<AlertContextRow, 'capsule_id' | 'slug' | 'kind' | 'tags'>,
    type: string,
    payload: object,
  ): Promise<number> {
    const rows = await tx.rows(
      sql`INSERT INTO notifications (flip_id, channel_id, capsule_id, type, payload)
          SELECT ${flipId}, ch.id, ${capsule.capsule_id}, ${type}, ${JSON.stringify(payload)}::jsonb
          FROM alert_channels ch
          WHERE (cardinality(ch.capsules) = 0 AND cardinality(ch.kinds) = 0 AND cardinality(ch.tags) = 0)
             OR ${capsule.slug} = ANY (ch.capsules) OR ${capsule.kind} = ANY (ch.kinds)
             OR ch.tags && ${capsule.tags}::text[]
          ON CONFLICT (flip_id, channel_id) DO NOTHING
          RETURNING id`,
    );
    return rows.length;
  }

  /** Flips with `from < at <= to`, newest first. */
  flipsBetween(capsuleId: number, from: Date, to: Date, limit: number): Promise<FlipRow[]> {
    return this.db.rows<FlipRow>(
      sql`SELECT id, from_status, to_status, reason, at, run_id, notified FROM capsule_flips
          WHERE capsule_id = ${capsuleId} AND at > ${from} AND at <= ${to}
          ORDER BY at DESC, id DESC LIMIT ${limit}`,
    );
  }

  /** The status the last flip at or before `at` set (undefined: no flip yet). */
  async statusAt(capsuleId: number, at: Date): Promise<string | undefined> {
    const row = await this.db.first<{ to_status: string }>(
      sql`SELECT to_status FROM capsule_flips WHERE capsule_id = ${capsuleId} AND at <= ${at}
          ORDER BY at DESC, id DESC LIMIT 1`,
    );
    return row?.to_status;
  }

  /** A capsule's alert row as it is (without locking), or undefined before its first use. */
  find(capsuleId: number): Promise<AlertStateRow | undefined> {
    return this.db.first<AlertStateRow>(
      sql`SELECT capsule_id, status, alert_after, rules, snoozed_until, changed_at
          FROM capsule_alerts WHERE capsule_id = ${capsuleId}`,
    );
  }

  /** Stores new rules and snooze (in `tx`, under the row's lock). */
  async configure(
    tx: Queries,
    capsuleId: number,
    settings: { rules: Partial<AlertRules>; snoozedUntil: Date | null },
  ): Promise<void> {
    await tx.rows(
      sql`UPDATE capsule_alerts SET rules = ${JSON.stringify(settings.rules)}::jsonb, snoozed_until = ${settings.snoozedUntil}
          WHERE capsule_id = ${capsuleId}`,
    );
  }
}
