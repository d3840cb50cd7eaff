import { CronSchedule } from './cron';

const MIDNIGHT = CronSchedule.parse('0 0 * * *');
const HOUR_MS = 3_600_000;

/**
 * The first instant of the local calendar day that `instant` falls in, in
 * `timeZone`. Where midnight does not exist (a DST gap at 00:00), the day
 * starts when the gap ends, like a `0 0 * * *` schedule fires.
 */
export function startOfLocalDay(instant: Date, timeZone: string): Date {
  const candidates = MIDNIGHT.nextN(new Date(instant.getTime() - 50 * HOUR_MS), timeZone, 4);
  const started = candidates.filter((c) => c.getTime() <= instant.getTime());
  return started[started.length - 1];
}

/** The first instant of the next local calendar day after `instant` (where today's run counts reset). */
export function startOfNextLocalDay(instant: Date, timeZone: string): Date | null {
  return MIDNIGHT.next(instant, timeZone);
}
