import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock, isDatabaseUnavailable, describeError } from '@app/common';
import { Database, type Queries, RUN_OUTCOMES, type RunStatus, sql } from '@app/database';
import { CronSchedule } from '@app/schedules';
import {
  alertAfter,
  type AlertRules,
  type AlertStatus,
  type DeadlineFacts,
  effectiveRules,
  type Flip,
  flipByTime,
  flipForFinishedRun,
  isQuietReport,
  needsRolling,
  recentRunsNeeded,
} from './alert-rules';
import { type AlertContextRow, AlertsRepository, type AlertStateRow, type LockedAlertRow } from './alerts.repository';
import { buildPayload, type NotificationRun } from './notification-payload';

/** The run a report wrote, as alerts need it (and its notification shows it). */
export interface ReportedRun extends NotificationRun {
  capsule_id: number;
  status: RunStatus;
}

/** Called when a flip created outbox rows, so this replica's delivery starts without waiting. */
export type OutboxListener = () => void;

/**
 * Turns reports and the passing of time into flips: a run report locks the capsule's alert row
 * (`lockForReports`; a finish, `lockForFinish`) before it writes its run and calls `onRunReported` after, in its own
 * transaction; the detector calls `detect` for capsules whose alert_after has passed. Both hold
 * the capsule's alert row, so one flip is written once, whoever gets there, and no flip is dated
 * before the one it follows (the row's deadline floor).
 */
@Injectable()
export class AlertsService {
  private readonly listeners: OutboxListener[] = [];
  private readonly logger = new Logger('Alerts');

  constructor(
    private readonly alerts: AlertsRepository,
    private readonly db: Database,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onEnqueued(listener: OutboxListener): void {
    this.listeners.push(listener);
  }

  /**
   * In a finish's transaction, before its run is updated: the alert row of the capsule of the run
   * it names, locked; undefined for an unknown run. A detector pass on the same capsule then
   * either finished before (the finish sees its flip) or skips the capsule until the finish has
   * committed (and then sees its run). Reports lock with `lockForReports`.
   */
  lockForFinish(tx: Queries, runId: string): Promise<LockedAlertRow | undefined> {
    return this.alerts.lockForFinish(tx, runId);
  }

  /**
   * In a batch of reports' transaction, before their runs are written: the alert rows of the
   * capsules they name, locked in capsule id order, by slug (unknown capsules are absent).
   */
  async lockForReports(tx: Queries, slugs: readonly string[]): Promise<Map<string, LockedAlertRow>> {
    const rows = await this.alerts.lockForReports(tx, slugs);
    return new Map(rows.map(({ slug, ...row }) => [slug, row]));
  }

  /** The capsule's alert row as it is now in `tx` (which holds its lock already). */
  relock(tx: Queries, capsuleId: number): Promise<LockedAlertRow> {
    return this.alerts.lock(tx, capsuleId);
  }

  /**
   * Whether a report with this status can change the capsule's alert row (`onRunReported` does
   * nothing otherwise). A batch writes together the runs of a capsule that cannot, and writes
   * one that can as the last of its capsule in its statement, judged before the capsule's next.
   */
  canChange(state: LockedAlertRow | undefined, status: RunStatus): boolean {
    // Archived (paused, or about to be: the detector writes that flip): runs alert no one.
    if (!state || state.capsule_status === 'archived') return false;
    return !isQuietReport(state.status, effectiveRules(state.rules), state.max_runtime_seconds, status);
  }

  /**
   * In the report's transaction, after its run is written: the flip the run causes (a failure,
   * a duration anomaly, a recovery), the outbox rows of that flip, and the capsule's next
   * alert_after. Behind a savepoint: should alerts fail on this capsule for any reason but the
   * database's absence, their part is undone and logged and the run is still recorded (a report
   * is never lost to an alert).
   */
  async onRunReported(tx: Queries, run: ReportedRun, state: LockedAlertRow | undefined): Promise<Flip | null> {
    if (!state || !this.canChange(state, run.status)) return null;
    const rules = effectiveRules(state.rules);
    await tx.rows(sql`SAVEPOINT alerts`);
    try {
      const flip = await this.evaluateReport(tx, run, state, rules);
      // Released, so a batch judging many reports does not nest a subtransaction per report.
      await tx.rows(sql`RELEASE SAVEPOINT alerts`);
      return flip;
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      await tx.rows(sql`ROLLBACK TO SAVEPOINT alerts`);
      await tx.rows(sql`RELEASE SAVEPOINT alerts`);
      this.logger.error({
        message: 'alerts: a run report was recorded without its alert evaluation',
        capsule_id: run.capsule_id,
        run_id: run.id,
        err: describeError(error),
      });
      return null;
    }
  }

  private async evaluateReport(
    tx: Queries,
    run: ReportedRun,
    state: AlertStateRow,
    rules: AlertRules,
  ): Promise<Flip | null> {
    const judged = run.status !== 'running' && run.completed_at !== null;
    const context = await this.alerts.context(tx, run.capsule_id, {
      recentRuns: judged ? recentRunsNeeded(rules) : 0,
      rollingExcept: judged && RUN_OUTCOMES[run.status] === 'success' && needsRolling(rules) ? run.id : null,
      floor: state.deadline_floor,
    });
    if (!context) return null;
    let flip: Flip | null = null;
    // An older run reported late is history: it neither fails nor recovers the capsule.
    if (judged && context.latest_finished_id === run.id) {
      flip = flipForFinishedRun(state.status, rules, {
        status: run.status,
        durationMs: run.duration_ms,
        completedAt: run.completed_at!,
        recentStatuses: context.recent_statuses,
        rolling:
          context.p95_ms === null || context.p5_ms === null ? null : { p95Ms: context.p95_ms, p5Ms: context.p5_ms },
      });
    }
    // A capsule's first report (started or finished) makes it up without a flip: nothing to tell.
    const status: AlertStatus = flip?.to ?? (state.status === 'new' ? 'up' : state.status);
    const floor = latest(state.deadline_floor, flip?.at);
    if (flip) {
      await this.writeFlip(tx, state, context, flip, rules, run);
      // The flip raised the floor: a run stuck before it (alerted on already) sets no deadline.
      if (floor !== state.deadline_floor) {
        context.oldest_running_started_at = await this.alerts.oldestRunning(tx, run.capsule_id, floor);
      }
    }
    await this.alerts.update(tx, run.capsule_id, {
      status,
      alertAfter: alertAfter(status, rules, deadlineFacts(context, floor)),
      revision: context.revision,
      changedAt: flip?.at,
      floor: flip?.at,
    });
    return flip;
  }

  /**
   * One detector pass over one capsule whose alert_after has passed: the time-driven flip
   * (stuck, missed) at its computed instant, then the next alert_after. Nothing when another
   * detector or a report holds the capsule, or moved its alert_after first.
   */
  async detect(capsuleId: number, now: Date): Promise<Flip | null> {
    return this.db.transaction(async (tx) => {
      const state = await this.alerts.claimDue(tx, capsuleId, now);
      if (!state) return null;
      const rules = effectiveRules(state.rules);
      const context = await this.alerts.context(tx, capsuleId, {
        recentRuns: 0,
        rollingExcept: null,
        floor: state.deadline_floor,
      });
      if (!context) return null;
      const flip = flipByTime(state.status, rules, deadlineFacts(context, state.deadline_floor), now);
      if (flip) await this.writeFlip(tx, state, context, flip, rules, null);
      const status = flip?.to ?? state.status;
      // A deadline not yet reached stays; one passed without a flip (the rules changed) is dropped.
      const next = alertAfter(status, rules, deadlineFacts(context, latest(state.deadline_floor, flip?.at)));
      await this.alerts.update(tx, capsuleId, {
        status,
        alertAfter: next && next > now ? next : null,
        revision: context.revision,
        changedAt: flip?.at,
        floor: flip?.at,
      });
      return flip;
    });
  }

  /** The capsule's alert row (the defaults before its first report or setting). */
  async settings(capsuleId: number): Promise<AlertStateRow> {
    return (
      (await this.alerts.find(capsuleId)) ?? {
        capsule_id: capsuleId,
        status: 'new',
        alert_after: null,
        rules: {},
        snoozed_until: null,
        changed_at: null,
        deadline_floor: null,
      }
    );
  }

  /**
   * Changes a capsule's rules (each key given replaces the stored one, null restores its
   * default) and its snooze (null unmutes); the alert_after follows the new rules at once, from
   * now on (a deadline the new rules would have had in the past does not count).
   */
  async configure(
    capsuleId: number,
    change: { rules?: Record<string, unknown>; snoozedUntil?: Date | null },
  ): Promise<AlertStateRow> {
    return this.db.transaction(async (tx) => {
      const state = await this.alerts.lock(tx, capsuleId);
      const stored: Record<string, unknown> = { ...state.rules };
      for (const [key, value] of Object.entries(change.rules ?? {})) {
        if (value === null) delete stored[key];
        else if (value !== undefined) stored[key] = value;
      }
      const rules = stored as Partial<AlertRules>;
      const snoozedUntil = change.snoozedUntil === undefined ? state.snoozed_until : change.snoozedUntil;
      await this.alerts.configure(tx, capsuleId, { rules, snoozedUntil });
      if (change.rules === undefined) return { ...state, rules, snoozed_until: snoozedUntil };
      const floor = latest(state.deadline_floor, this.clock.now());
      const context = await this.alerts.context(tx, capsuleId, { recentRuns: 0, rollingExcept: null, floor });
      if (!context) return { ...state, rules, snoozed_until: snoozedUntil };
      const next = alertAfter(state.status, effectiveRules(rules), deadlineFacts(context, floor));
      await this.alerts.update(tx, capsuleId, {
        status: state.status,
        alertAfter: next,
        revision: context.revision,
        floor: floor ?? undefined,
      });
      return { ...state, rules, snoozed_until: snoozedUntil, alert_after: next, deadline_floor: floor };
    });
  }

  /**
   * After a change of the capsule's definition (found by the detector): paused when it was
   * archived, resumed when restored (flips that notify no one), and its alert_after computed
   * again, from now on, for its schedule, grace and max runtime as they are now.
   */
  async syncDefinition(capsuleId: number): Promise<Flip | null> {
    return this.db.transaction(async (tx) => {
      const state = await this.alerts.lock(tx, capsuleId);
      const floor = latest(state.deadline_floor, this.clock.now())!;
      const context = await this.alerts.context(tx, capsuleId, { recentRuns: 0, rollingExcept: null, floor });
      if (!context) return null;
      const rules = effectiveRules(state.rules);
      const archived = context.capsule_status === 'archived';
      let flip: Flip | null = null;
      if (archived !== (state.status === 'paused')) {
        flip = archived
          ? { from: state.status, to: 'paused', reason: 'paused', at: context.updated_at }
          : { from: 'paused', to: context.last_run_at ? 'up' : 'new', reason: 'resumed', at: context.updated_at };
        await this.writeFlip(tx, state, context, flip, rules, null);
      }
      const status = flip?.to ?? state.status;
      await this.alerts.update(tx, capsuleId, {
        status,
        alertAfter: alertAfter(status, rules, deadlineFacts(context, floor)),
        revision: context.revision,
        changedAt: flip?.at,
        floor,
      });
      return flip;
    });
  }

  private async writeFlip(
    tx: Queries,
    state: AlertStateRow,
    context: AlertContextRow,
    flip: Flip,
    rules: AlertRules,
    run: NotificationRun | null,
  ): Promise<void> {
    const notify =
      flip.reason !== 'paused' &&
      flip.reason !== 'resumed' &&
      !(state.snoozed_until && state.snoozed_until > flip.at) &&
      // A recovery tells of a down someone was told of.
      (flip.reason !== 'recovered' || (rules.recovery && (await this.alerts.lastFlipNotified(tx, context.capsule_id))));
    const saved = await this.alerts.insertFlip(tx, context.capsule_id, flip, run?.id ?? null, notify);
    if (!notify) return;
    const payload = buildPayload({
      flipId: saved.id,
      flip,
      capsule: context,
      run,
      nextExpected: nextExpected(context, this.clock.now()),
      linkTemplate: this.config.alertsLinkTemplate,
    });
    const queued = await this.alerts.enqueue(tx, saved.id, context, payload.type, payload);
    // Once committed, this replica's delivery worker starts at once (other replicas poll).
    if (queued > 0) tx.afterCommit(() => this.listeners.forEach((listener) => listener()));
  }
}

/** The later of two instants (null when both are). */
function latest(a: Date | null | undefined, b: Date | null | undefined): Date | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return a > b ? a : b;
}

/**
 * The deadlines' facts. The due time is the first fire time after the latest run started (the
 * contract's rule); a deadline before the floor (the last flip, or a definition change) was
 * dealt with or did not exist then, so the due time counts from the floor instead.
 */
function deadlineFacts(context: AlertContextRow, floor: Date | null): DeadlineFacts {
  const schedule = context.schedule ? CronSchedule.parse(context.schedule) : null;
  let due = schedule && context.last_run_at ? schedule.next(context.last_run_at, context.timezone) : null;
  if (schedule && due && floor && due.getTime() + context.grace_seconds * 1000 < floor.getTime()) {
    due = schedule.next(floor, context.timezone);
  }
  return {
    archived: context.capsule_status === 'archived',
    due,
    graceSeconds: context.grace_seconds,
    maxRuntimeSeconds: context.max_runtime_seconds,
    oldestRunningStartedAt: context.oldest_running_started_at,
  };
}

function nextExpected(context: AlertContextRow, after: Date): Date | null {
  if (!context.schedule || context.capsule_status !== 'active') return null;
  return CronSchedule.parse(context.schedule).next(after, context.timezone);
}
