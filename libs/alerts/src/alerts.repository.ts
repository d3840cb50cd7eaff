import { Injectable } from '@nestjs/common';
import { Database, type Queries, type RunStatus, sql, type Sql, SUCCESSFUL_RUN_STATUSES } from '@app/database';
import { type AlertRules, type AlertStatus, type Flip, MIN_ROLLING_RUNS, ROLLING_RUNS } from './alert-rules';

/** A capsule's alert row, locked for the transaction that read it. */
export interface AlertStateRow {
  capsule_id: number;
  status: AlertStatus;
  alert_after: Date | null;
  rules: Partial<AlertRules>;
  snoozed_until: Date | null;
  changed_at: Date | null;
  /** No deadline before this instant counts (the last flip, or definition change). */
  deadline_floor: Date | null;
}

/** The alert row with what a report needs to tell whether it can change anything. */
export interface LockedAlertRow extends AlertStateRow {
  max_runtime_seconds: number | null;
  capsule_status: string;
}

const STATE_COLUMNS = sql.raw(
  'a.capsule_id, a.status, a.alert_after, a.rules, a.snoozed_until, a.changed_at, a.deadline_floor',
);

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
  /** Start of the oldest run still running whose stuck deadline is not before the floor. */
  oldest_running_started_at: Date | null;
  /** Latest finished runs' statuses, newest first (as many as the failure rule needs). */
  recent_statuses: RunStatus[];
  /** The newest finished run (a report of an older one judges nothing: it is history). */
  latest_finished_id: string | null;
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
   * The alert row of the capsule of a run a finish names, locked until the transaction ends and
   * created on first use; undefined when there is no such run. A finish takes it before it
   * updates the run, so a detector pass on the same capsule either finishes first or skips the
   * capsule until the finish has committed.
   */
  lockForFinish(tx: Queries, runId: string): Promise<LockedAlertRow | undefined> {
    return this.lockWhere(tx, sql`(SELECT capsule_id FROM capsule_runs WHERE id = ${runId})`);
  }

  /**
   * The alert rows of the capsules named by `slugs` (a batch of reports), locked in capsule id
   * order (so two batches, or a batch and a single report, never wait on each other in a cycle)
   * and created on first use; capsules that do not exist are absent from the answer.
   */
  async lockForReports(tx: Queries, slugs: readonly string[]): Promise<(LockedAlertRow & { slug: string })[]> {
    const select = (ready: Sql) =>
      sql`SELECT ${STATE_COLUMNS}, c.max_runtime_seconds, c.status AS capsule_status, c.slug
          FROM capsule_alerts a JOIN capsules c ON c.id = a.capsule_id
          WHERE c.slug = ANY(${slugs}::text[]) ${ready}
          ORDER BY a.capsule_id FOR UPDATE OF a`;
    // Locks only when every known capsule has its row already (the common case, one statement):
    // locking some rows, then creating and locking a missing one of a lower id, would take the
    // locks out of id order and could deadlock with another batch.
    const rows = await tx.rows<LockedAlertRow & { slug: string }>(
      select(sql`AND NOT EXISTS (SELECT 1 FROM capsules m WHERE m.slug = ANY(${slugs}::text[])
                                   AND NOT EXISTS (SELECT 1 FROM capsule_alerts x WHERE x.capsule_id = m.id))`),
    );
    if (rows.length > 0) return rows;
    // Some capsule reports for the first time (or none exists): the rows first (an insert that
    // meets an existing row locks nothing), then every row, in id order, holding none before.
    await tx.rows(
      sql`INSERT INTO capsule_alerts (capsule_id)
          SELECT id FROM capsules WHERE slug = ANY(${slugs}::text[]) ORDER BY id
          ON CONFLICT DO NOTHING`,
    );
    return tx.rows<LockedAlertRow & { slug: string }>(select(sql``));
  }

  /** The capsule's alert row, locked until the transaction ends (created on first use). */
  async lock(tx: Queries, capsuleId: number): Promise<LockedAlertRow> {
    return (await this.lockWhere(tx, sql`${capsuleId}::int`))!;
  }

  private async lockWhere(tx: Queries, capsule: Sql): Promise<LockedAlertRow | undefined> {
    const select = sql`SELECT ${STATE_COLUMNS}, c.max_runtime_seconds, c.status AS capsule_status
                       FROM capsule_alerts a JOIN capsules c ON c.id = a.capsule_id
                       WHERE a.capsule_id = ${capsule} FOR UPDATE OF a`;
    const row = await tx.first<LockedAlertRow>(select);
    if (row) return row;
    const created = await tx.rows(
      sql`INSERT INTO capsule_alerts (capsule_id) SELECT id FROM capsules WHERE id = ${capsule}
          ON CONFLICT DO NOTHING RETURNING capsule_id`,
    );
    return created.length > 0 || (await tx.first(sql`SELECT 1 FROM capsules WHERE id = ${capsule}`))
      ? tx.first<LockedAlertRow>(select)
      : undefined;
  }

  /**
   * The row of a capsule whose alert_after has passed, locked, or nothing when another detector
   * holds it or already moved its alert_after (so each flip happens once).
   */
  claimDue(tx: Queries, capsuleId: number, now: Date): Promise<AlertStateRow | undefined> {
    return tx.first<AlertStateRow>(
      sql`SELECT ${STATE_COLUMNS} FROM capsule_alerts a
          WHERE a.capsule_id = ${capsuleId} AND a.alert_after <= ${now}
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

  /**
   * The earliest alert_after after `now` (the detector sleeps until then, at most a poll
   * interval); deadlines already due but held by another replica are that replica's.
   */
  async nextAlertAfter(now: Date): Promise<Date | null> {
    const row = await this.db.first<{ at: Date | null }>(
      sql`SELECT min(alert_after) AS at FROM capsule_alerts WHERE alert_after > ${now}`,
    );
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

  /** Start of the oldest run still running whose stuck deadline is not before `floor`. */
  async oldestRunning(tx: Queries, capsuleId: number, floor: Date | null): Promise<Date | null> {
    const row = await tx.first<{ started_at: Date | null }>(
      sql`SELECT (${oldestRunning(floor)}) AS started_at FROM capsules c WHERE c.id = ${capsuleId}`,
    );
    return row?.started_at ?? null;
  }

  /** The capsule and what its runs say now (read after the lock, so it includes the lock holder's run). */
  context(
    tx: Queries,
    capsuleId: number,
    options: {
      /** How many of the latest finished runs' statuses to read. */
      recentRuns: number;
      /** Read the rolling percentiles, of the successes other than this run. */
      rollingExcept: string | null;
      /** A run stuck before this instant was dealt with already (a flip since). */
      floor: Date | null;
    },
  ): Promise<AlertContextRow | undefined> {
    const { recentRuns, rollingExcept, floor } = options;
    const rolling = rollingExcept !== null;
    const percentiles = rolling
      ? sql`(SELECT CASE WHEN count(d) >= ${MIN_ROLLING_RUNS} THEN percentile_cont(0.95) WITHIN GROUP (ORDER BY d) END
             FROM recent_successes) AS p95_ms,
            (SELECT CASE WHEN count(d) >= ${MIN_ROLLING_RUNS} THEN percentile_cont(0.05) WITHIN GROUP (ORDER BY d) END
             FROM recent_successes) AS p5_ms`
      : sql`NULL::float8 AS p95_ms, NULL::float8 AS p5_ms`;
    return tx.first<AlertContextRow>(
      sql`WITH recent_successes AS (
            -- the latest successes but the one being judged (it is not its own yardstick)
            SELECT duration_ms AS d FROM capsule_runs
            WHERE capsule_id = ${capsuleId} AND status = ANY(${SUCCESSFUL_RUN_STATUSES}::text[])
              AND id <> ${rollingExcept ?? 0}
              AND duration_ms IS NOT NULL
            ORDER BY started_at DESC, id DESC LIMIT ${rolling ? ROLLING_RUNS : 0})
          SELECT c.id AS capsule_id, c.slug, c.title, c.kind, c.tags, c.status AS capsule_status, c.schedule,
                 c.timezone, c.grace_seconds, c.max_runtime_seconds, c.updated_at, c.revision,
                 (SELECT max(r.started_at) FROM capsule_runs r WHERE r.capsule_id = c.id) AS last_run_at,
                 (${oldestRunning(floor)}) AS oldest_running_started_at,
                 ARRAY(SELECT r.status FROM capsule_runs r
                       WHERE r.capsule_id = c.id AND r.status <> 'running'
                       ORDER BY r.started_at DESC, r.id DESC LIMIT ${recentRuns}) AS recent_statuses,
                 (SELECT r.id FROM capsule_runs r WHERE r.capsule_id = c.id AND r.status <> 'running'
                  ORDER BY r.started_at DESC, r.id DESC LIMIT 1) AS latest_finished_id,
                 ${percentiles}
          FROM capsules c
          WHERE c.id = ${capsuleId}`,
    );
  }

  /**
   * Sets the row's status, its next alert_after and the definition revision it was computed
   * for; a flip also sets when the status changed, and raises the deadline floor to `floor`.
   */
  async update(
    tx: Queries,
    capsuleId: number,
    changes: { status: AlertStatus; alertAfter: Date | null; revision: number; changedAt?: Date; floor?: Date },
  ): Promise<void> {
    await tx.rows(
      sql`UPDATE capsule_alerts SET status = ${changes.status}, alert_after = ${changes.alertAfter},
                 definition_revision = ${changes.revision},
                 changed_at = COALESCE(${changes.changedAt ?? null}::timestamptz, changed_at),
                 deadline_floor = GREATEST(deadline_floor, ${changes.floor ?? null}::timestamptz)
          WHERE capsule_id = ${capsuleId}`,
    );
  }

  /** Whether the capsule's last flip notified anyone (a recovery tells of a down someone heard of). */
  async lastFlipNotified(tx: Queries, capsuleId: number): Promise<boolean> {
    const row = await tx.first<{ notified: boolean }>(
      sql`SELECT notified FROM capsule_flips WHERE capsule_id = ${capsuleId} ORDER BY at DESC, id DESC LIMIT 1`,
    );
    return row?.notified ?? false;
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

  /**
   * Seconds of (from, to] the capsule spent down: the down spans between its flips in the
   * window, and from `from` to the first of them when the flip before the window left it down.
   * Every flip counts, however many (the listing stops at a thousand, the total does not).
   */
  async downtimeSeconds(capsuleId: number, from: Date, to: Date): Promise<number> {
    const row = await this.db.first<{ seconds: number }>(
      sql`WITH spans AS (
            SELECT to_status, at, lead(at, 1, ${to}::timestamptz) OVER (ORDER BY at, id) AS until
            FROM capsule_flips WHERE capsule_id = ${capsuleId} AND at > ${from} AND at <= ${to}),
          before AS (
            SELECT to_status FROM capsule_flips WHERE capsule_id = ${capsuleId} AND at <= ${from}
            ORDER BY at DESC, id DESC LIMIT 1)
          SELECT (COALESCE((SELECT sum(extract(epoch FROM until - at)) FROM spans WHERE to_status = 'down'), 0)
                  + CASE WHEN (SELECT to_status FROM before) = 'down'
                         THEN extract(epoch FROM COALESCE((SELECT min(at) FROM spans), ${to}::timestamptz)
                                                 - ${from}::timestamptz)
                         ELSE 0 END)::float8 AS seconds`,
    );
    return row?.seconds ?? 0;
  }

  /** A capsule's alert row as it is (without locking), or undefined before its first use. */
  find(capsuleId: number): Promise<AlertStateRow | undefined> {
    return this.db.first<AlertStateRow>(
      sql`SELECT ${STATE_COLUMNS} FROM capsule_alerts a WHERE a.capsule_id = ${capsuleId}`,
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

/** The running-runs index: the oldest start among runs of `c` whose stuck deadline is not before the floor. */
function oldestRunning(floor: Date | null) {
  return sql`SELECT min(r.started_at) FROM capsule_runs r
             WHERE r.capsule_id = c.id AND r.status = 'running'
               AND r.started_at >= COALESCE(${floor}::timestamptz
                     - make_interval(secs => COALESCE(c.max_runtime_seconds, 0)), '-infinity')`;
}
