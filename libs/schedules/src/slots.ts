import { CronSchedule } from './cron';

/**
 * The schedule ledger: every fire time a capsule's schedule produced is a slot, and every slot
 * ends as exactly one outcome. The rule, in full:
 *
 * 1. **Slots.** The definition in force at an instant (the capsule's version history) decides
 *    the slots: each period with a schedule contributes that schedule's fire times within the
 *    period, in the period's time zone (DST gaps and overlaps as `CronSchedule` fires them). A
 *    period without a schedule contributes none, so slots never come before the capsule had a
 *    schedule. All slots form one sequence t1 < t2 < …, across schedule changes.
 * 2. **Windows.** Slot i owns the runs started in [ti − ei, ti+1 − ei+1): from a little before it
 *    (ei, the early tolerance: EARLY_TOLERANCE_MS, at most half the time since the slot before,
 *    and never before its period began) until a little before the next slot. The last slot
 *    before the schedule was removed owns the runs until the removal.
 * 3. **Matching.** The first run started in a slot's window is its run: `on_time` when it
 *    started at most grace_seconds after the slot, `late` otherwise (lateness = start − slot,
 *    0 for an early start). Every other run of that window is `extra` (a duplicate).
 * 4. **No run.** A slot whose window has closed without a run is `missed`; one whose window is
 *    still open is `pending`.
 * 5. **Paused.** A slot of a period in which the capsule was archived is `paused`, and the runs
 *    of its window are `extra`.
 * 6. **Extra.** A run in no slot's window (before the first slot, or while the capsule had no
 *    schedule) is `extra`, listed at its start.
 */

/** How long before a slot a run still counts for it (a clock a little ahead). */
export const EARLY_TOLERANCE_MS = 60_000;

export const SLOT_OUTCOMES = ['on_time', 'late', 'missed', 'pending', 'paused', 'extra'] as const;
export type SlotOutcome = (typeof SLOT_OUTCOMES)[number];

/** A capsule definition and the span it was in force. */
export interface DefinitionPeriod {
  /** The definition revision (its slots count toward it). */
  revision: number;
  from: Date;
  /** When the next definition took effect; null while it is current. */
  until: Date | null;
  schedule: string | null;
  timezone: string;
  graceSeconds: number;
  archived: boolean;
}

export interface SlotRun {
  id: string;
  status: string;
  startedAt: Date;
}

export interface LedgerEntry {
  /** The slot's instant; for an extra run, its start. */
  at: Date;
  /** The time zone of the definition in force then (for the local time). */
  timezone: string;
  outcome: SlotOutcome;
  run: SlotRun | null;
  /** How long after its slot the matched run started (0 when early); null without a run. */
  latenessSeconds: number | null;
}

export interface SlotPoint {
  at: Date;
  period: DefinitionPeriod;
}

/** How far back the slot before a window is looked for (a yearly schedule has one a year). */
const LOOKBACKS_MS = [3_600_000, 86_400_000, 32 * 86_400_000, 367 * 86_400_000];

/**
 * Every slot with `from <= at < to`, with the slot just before `from` (its window may reach into
 * the range) and the first slot at or after `to` (it closes the last window), in order. Stops
 * after `maxSlots` slots in the range (`truncated`).
 */
export function slotsAround(
  periods: readonly DefinitionPeriod[],
  from: Date,
  to: Date,
  maxSlots: number,
): { slots: SlotPoint[]; truncated: boolean } {
  const before = slotBefore(periods, from);
  const slots: SlotPoint[] = before ? [before] : [];
  let inRange = 0;
  for (const slot of fireTimes(periods, from)) {
    slots.push(slot);
    if (slot.at.getTime() >= to.getTime()) return { slots, truncated: false };
    if (++inRange >= maxSlots) return { slots, truncated: true };
  }
  return { slots, truncated: false };
}

/** The fire times of the periods from `from` on (inclusive), in order, lazily. */
function* fireTimes(periods: readonly DefinitionPeriod[], from: Date): Generator<SlotPoint> {
  for (const period of periods) {
    if (!period.schedule) continue;
    const end = period.until?.getTime() ?? Number.POSITIVE_INFINITY;
    if (end <= from.getTime()) continue;
    const cron = CronSchedule.parse(period.schedule);
    // Fire times are strictly after their start: start a millisecond before.
    const start = new Date(Math.max(period.from.getTime(), from.getTime()) - 1);
    for (const at of cron.following(start, period.timezone)) {
      if (at.getTime() >= end) break;
      yield { at, period };
    }
  }
}

function slotBefore(periods: readonly DefinitionPeriod[], from: Date): SlotPoint | null {
  for (const lookback of LOOKBACKS_MS) {
    let last: SlotPoint | null = null;
    for (const slot of fireTimes(periods, new Date(from.getTime() - lookback))) {
      if (slot.at.getTime() >= from.getTime()) break;
      last = slot;
    }
    if (last) return last;
  }
  return null;
}

/** Where each slot's window starts and ends (ms), per rule 2. */
export function slotWindows(slots: readonly SlotPoint[]): { start: number; end: number }[] {
  const starts = slots.map((slot, i) => {
    const at = slot.at.getTime();
    const sincePrevious = i > 0 ? (at - slots[i - 1].at.getTime()) / 2 : Number.POSITIVE_INFINITY;
    return at - Math.min(EARLY_TOLERANCE_MS, sincePrevious, Math.max(0, at - slot.period.from.getTime()));
  });
  return slots.map((slot, i) => ({
    start: starts[i],
    end: i + 1 < slots.length ? starts[i + 1] : (slot.period.until?.getTime() ?? Number.POSITIVE_INFINITY),
  }));
}

/**
 * The ledger entries with `from <= at < to` and `at <= now`, oldest first, from the slots of
 * `slotsAround` and every run started within their windows (more runs are ignored). The slot
 * after the range only closes the window before it.
 */
export function ledger(
  slots: readonly SlotPoint[],
  runs: readonly SlotRun[],
  range: { from: Date; to: Date; now: Date },
): LedgerEntry[] {
  const windows = slotWindows(slots);
  const sorted = [...runs].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || a.id.localeCompare(b.id));
  const entries: LedgerEntry[] = [];
  const now = range.now.getTime();
  const extra = (run: SlotRun, timezone: string) =>
    entries.push({ at: run.startedAt, timezone, outcome: 'extra', run, latenessSeconds: null });
  let r = 0;
  // Runs before the first window: no slot of these claims them.
  while (r < sorted.length && (slots.length === 0 || sorted[r].startedAt.getTime() < windows[0].start)) {
    extra(sorted[r++], slots[0]?.period.timezone ?? 'UTC');
  }
  slots.forEach((slot, i) => {
    const { start, end } = windows[i];
    const inWindow: SlotRun[] = [];
    while (r < sorted.length && sorted[r].startedAt.getTime() < end) {
      if (sorted[r].startedAt.getTime() >= start) inWindow.push(sorted[r]);
      else extra(sorted[r], slot.period.timezone); // between a removal and the next schedule
      r++;
    }
    // (A slot still ahead is judged too, in case a run came early; the range leaves it out.)
    const { timezone, archived, graceSeconds } = slot.period;
    if (archived) {
      entries.push({ at: slot.at, timezone, outcome: 'paused', run: null, latenessSeconds: null });
      inWindow.forEach((run) => extra(run, timezone));
      return;
    }
    const [run, ...duplicates] = inWindow;
    if (run) {
      const lateness = Math.max(0, run.startedAt.getTime() - slot.at.getTime());
      entries.push({
        at: slot.at,
        timezone,
        outcome: lateness <= graceSeconds * 1000 ? 'on_time' : 'late',
        run,
        latenessSeconds: Math.round(lateness / 1000),
      });
    } else {
      entries.push({
        at: slot.at,
        timezone,
        outcome: now < end ? 'pending' : 'missed',
        run: null,
        latenessSeconds: null,
      });
    }
    duplicates.forEach((d) => extra(d, timezone));
  });
  while (r < sorted.length) extra(sorted[r++], slots.at(-1)?.period.timezone ?? 'UTC');
  const from = range.from.getTime();
  const to = range.to.getTime();
  return entries
    .filter((e) => e.at.getTime() >= from && e.at.getTime() < to && e.at.getTime() <= now)
    .sort((a, b) => a.at.getTime() - b.at.getTime());
}
