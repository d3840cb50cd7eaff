import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { SchedulesRepository } from './schedules.repository';
import { type DefinitionPeriod, ledger, type LedgerEntry, type SlotOutcome, slotsAround, slotWindows } from './slots';

/** Slots computed per call at most (a schedule firing every minute fills 30 days with 43,200). */
const MAX_SLOTS = 50_000;
/** Runs read per call at most. */
const MAX_RUNS = 100_000;
const DAY_MS = 86_400_000;

/** Where a page of the ledger continues: entries before (at, seq) in newest-first order. */
export interface LedgerPosition {
  at: Date;
  /** 0 for a slot; an extra run's id (runs sort after their slot at the same instant). */
  seq: number;
}

export type UptimeCounts = Record<SlotOutcome, number>;

/**
 * The schedule ledger of a capsule (`slots.ts` has the rule), computed for the range asked: the
 * cost follows the slots and runs of that range, never the whole history.
 */
@Injectable()
export class SlotsService {
  constructor(
    private readonly schedules: SchedulesRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * Up to `limit` entries with from <= at < to (and at <= now), newest first, before `after`
   * when given; `more` when older entries remain in the range.
   */
  async page(
    capsuleId: number,
    range: { from: Date; to: Date },
    limit: number,
    after?: LedgerPosition,
  ): Promise<{ entries: LedgerEntry[]; more: boolean }> {
    const periods = await this.schedules.definitionPeriods(capsuleId);
    const now = this.clock.now();
    const end = Math.min(range.to.getTime(), now.getTime() + 1, after ? after.at.getTime() + 1 : Infinity);
    const from = range.from.getTime();
    // Widen a span back from the end until it holds a page (or reaches the range's start).
    for (let span = DAY_MS; ; span *= 4) {
      const start = Math.max(from, end - span);
      const entries = (await this.compute(capsuleId, periods, new Date(start), new Date(end), now))
        .filter((e) => !after || compare(ledgerPosition(e), after) < 0)
        .sort((a, b) => compare(ledgerPosition(b), ledgerPosition(a)));
      if (entries.length > limit || start <= from) {
        return { entries: entries.slice(0, limit), more: entries.length > limit };
      }
    }
  }

  /** How the slots of [from, to) ended, counted (pending and paused included, extra runs too). */
  async counts(capsuleId: number, from: Date, to: Date): Promise<UptimeCounts> {
    const periods = await this.schedules.definitionPeriods(capsuleId);
    const entries = await this.compute(capsuleId, periods, from, to, this.clock.now());
    const counts: UptimeCounts = { on_time: 0, late: 0, missed: 0, pending: 0, paused: 0, extra: 0 };
    for (const entry of entries) counts[entry.outcome]++;
    return counts;
  }

  private async compute(
    capsuleId: number,
    periods: DefinitionPeriod[],
    from: Date,
    to: Date,
    now: Date,
  ): Promise<LedgerEntry[]> {
    const { slots } = slotsAround(periods, from, to, MAX_SLOTS);
    const windows = slotWindows(slots);
    // Runs from the first window (the slot before the range claims its own) to the end of the
    // last window that starts in the range (a late run after `to` still settles its slot).
    const inRange = windows.filter((_, i) => slots[i].at < to);
    const runsFrom = Math.min(from.getTime(), windows[0]?.start ?? Infinity);
    const runsTo = Math.max(to.getTime(), ...inRange.map((w) => w.end));
    const runs = await this.schedules.runStartsBetween(
      capsuleId,
      new Date(runsFrom),
      Number.isFinite(runsTo) ? new Date(runsTo) : null,
      MAX_RUNS,
    );
    return ledger(slots, runs, { from, to, now });
  }
}

/** Where an entry stands in the newest-first order of a ledger (what a page's cursor holds). */
export function ledgerPosition(entry: LedgerEntry): LedgerPosition {
  return { at: entry.at, seq: entry.outcome === 'extra' && entry.run ? Number(entry.run.id) : 0 };
}

function compare(a: LedgerPosition, b: LedgerPosition): number {
  return a.at.getTime() - b.at.getTime() || a.seq - b.seq;
}
