import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, Clock, PollingWorker } from '@app/common';
import { Database } from '@app/database';
import { SchedulesRepository } from './schedules.repository';
import { SlotOutcomesRepository, type StoredSlot } from './slot-outcomes.repository';
import { type DefinitionPeriod, ledger, slotsAround, slotWindows } from './slots';

/** Capsules closed per pass (the rest in the next, right after). */
const BATCH = 100;
/** Slots settled per capsule and pass: a long history is caught up in chunks. */
const CHUNK = 2_000;
/** The shortest sleep between passes. */
const MIN_PAUSE_MS = 20;

/**
 * The slot closer: in every replica, it keeps `capsule_slots` (and through its trigger the slot
 * rollups `performance` reads) up to date with the rule of `slots.ts`. A capsule is closed when
 * one of its windows ends (a pending slot becomes missed), when a run arrives that may settle a
 * slot, and when a run arrives in a window it has closed (a backfill). Each close
 * recomputes the ledger from the mark on, with the first run of each window only (one index
 * probe per slot, however many runs the window holds). Replicas side by side close each capsule
 * once at a time (its mark FOR UPDATE SKIP LOCKED); the capsule's runs in flight are waited for
 * (an advisory lock their writers hold shared), so none is overlooked.
 */
@Injectable()
export class SlotCloser extends PollingWorker {
  constructor(
    private readonly db: Database,
    private readonly outcomes: SlotOutcomesRepository,
    private readonly schedules: SchedulesRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super('slot closer', config.slotsPollIntervalMs);
  }

  /** One pass; returns the ms until the next window ends (the poller bounds it by the interval). */
  async pass(): Promise<number | null> {
    const now = this.clock.now();
    const due = await this.outcomes.due(now, BATCH);
    const retryAt = new Date(now.getTime() + Math.max(this.config.slotsPollIntervalMs, 1000));
    let more = due.length === BATCH;
    await this.eachApart(
      due,
      'slot closer: a capsule failed; looking again later',
      async (id) => {
        if ((await this.close(id, now)) === 'more') more = true;
      },
      (id) => this.outcomes.postpone(id, retryAt),
    );
    if (more) return MIN_PAUSE_MS;
    const next = await this.outcomes.nextCloseAfter(now);
    return next ? Math.max(MIN_PAUSE_MS, next.getTime() - this.clock.now().getTime()) : null;
  }

  /**
   * Settles the capsule's slots from its mark to `now`: 'skipped' when it is no longer due (another
   * closer got there first),
   * 'more' when a chunk of its history remains, 'done' otherwise.
   */
  async close(capsuleId: number, now: Date): Promise<'skipped' | 'more' | 'done'> {
    return this.db.transaction(async (tx) => {
      const mark = await this.outcomes.lock(tx, capsuleId, now);
      if (!mark) return 'skipped';
      const periods = await this.schedules.definitionPeriods(capsuleId, tx);
      const from = closeFrom(periods, mark.closed_until, mark.stale_from, now);
      const { slots, truncated } = slotsAround(periods, from, new Date(now.getTime() + 1), CHUNK);
      const windows = slotWindows(slots);
      // A truncated chunk ends before its last slot (whose window's end is not known yet).
      const to = truncated ? slots[slots.length - 1].at : new Date(now.getTime() + 1);
      const runs = await this.outcomes.firstRuns(tx, capsuleId, windows);
      const entries = ledger(slots, runs, { from, to, now });
      const revisions = new Map(slots.map((s) => [s.at.getTime(), s.period.revision]));
      const settled: StoredSlot[] = [];
      const unsettled: Date[] = [];
      for (const entry of entries) {
        if (entry.outcome === 'extra') continue;
        if (entry.outcome === 'pending') unsettled.push(entry.at);
        else {
          settled.push({
            at: entry.at,
            revision: revisions.get(entry.at.getTime()) ?? 0,
            outcome: entry.outcome,
            runId: entry.run?.id ?? null,
            latenessSeconds: entry.latenessSeconds,
          });
        }
      }
      await this.outcomes.save(tx, capsuleId, settled, unsettled);
      const seenRunAt = mark.last_run_at;
      if (truncated) {
        const last = windows[windows.length - 1].start;
        await this.outcomes.advance(tx, capsuleId, {
          closedUntil: new Date(last),
          closeAfter: now,
          seenRunAt,
          settledUntil: null,
          openRunAt: null,
        });
        return 'more';
      }
      // The first window still open (at or after `from`) is where the next close starts.
      const open = slots.findIndex((s, i) => windows[i].end > now.getTime() && s.at >= from);
      if (open < 0) {
        const end = windows.length > 0 ? windows[windows.length - 1].end : now.getTime();
        await this.outcomes.advance(tx, capsuleId, {
          closedUntil: new Date(Number.isFinite(end) ? Math.min(end, now.getTime()) : now.getTime()),
          closeAfter: null,
          seenRunAt,
          settledUntil: null,
          openRunAt: null,
        });
        return 'done';
      }
      const slot = slots[open];
      const { start, end } = windows[open];
      const openMatch = entries.find((e) => e.outcome !== 'extra' && e.at.getTime() === slot.at.getTime());
      const matched = openMatch?.run;
      const finiteEnd = Number.isFinite(end) ? new Date(end) : null;
      await this.outcomes.advance(tx, capsuleId, {
        closedUntil: new Date(start),
        // A slot still ahead becomes an entry at its instant (an early run then settles it);
        // one that has come ends with its window.
        closeAfter: slot.at > now ? slot.at : finiteEnd,
        seenRunAt,
        // The open slot has its run: later runs of its window are duplicates, an earlier one takes its place.
        settledUntil: matched ? finiteEnd : new Date(start),
        // Only a late match can change outcome (to on time) when an earlier run arrives; an on-time
        // one keeps its outcome, and its run is set right when the window ends and is closed again.
        openRunAt: openMatch?.outcome === 'late' ? (openMatch.run?.startedAt ?? null) : null,
      });
      return 'done';
    });
  }
}

/**
 * Where a close starts: the mark (the first slot's period when there is none), or earlier, at
 * the slot that owns a stale run (its window may start well before the run).
 */
function closeFrom(periods: DefinitionPeriod[], closedUntil: Date | null, staleFrom: Date | null, now: Date): Date {
  const first = periods.find((p) => p.schedule)?.from ?? now;
  let from = closedUntil ?? first;
  if (staleFrom && staleFrom < from) {
    const { slots } = slotsAround(periods, staleFrom, staleFrom, 0);
    const owner = slots.find((s) => s.at <= staleFrom);
    from = owner ? owner.at : staleFrom;
  }
  return from;
}
