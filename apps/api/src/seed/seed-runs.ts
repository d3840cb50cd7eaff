import { createHash } from 'node:crypto';
import { CronSchedule } from '@app/schedules';
import type { FinalRunStatus } from '@app/runs';
import type { SampleCapsule } from './sample-capsules';

const SECOND_MS = 1_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The seed the generator uses unless told otherwise. */
export const DEFAULT_SEED = 20_261_124;
/** Days of history before the end of the window, unless told otherwise. */
export const DEFAULT_DAYS = 28;
export const MAX_DAYS = 366;

export interface SeedOptions {
  /** The instant the history is generated up to; the window ends at the last full hour at or before it. */
  now: Date;
  /** Days of history (1-366; default 28). */
  days?: number;
  /** PRNG seed: the same seed and window give the same runs (default DEFAULT_SEED). */
  seed?: number;
}

/** [start, end]: every generated run starts at or after `start` and finishes at or before `end`. */
export interface SeedWindow {
  start: Date;
  end: Date;
}

/** A finished run, as the seed writes it to capsule_runs. */
export interface SeedRun {
  capsuleSlug: string;
  /** `seed:<slug>:<instant>`: the scheduled fire time (or, for a manual capsule, the start). */
  runKey: string;
  actor: string;
  status: FinalRunStatus;
  startedAt: Date;
  completedAt: Date;
  exitCode: number;
  message: string | null;
  artifactUri: string | null;
  checksum: string | null;
}

/** The window a seed covers: `days` whole days back from the last full UTC hour at or before `now`. */
export function seedWindow(now: Date, days: number = DEFAULT_DAYS): SeedWindow {
  if (Number.isNaN(now.getTime())) throw new RangeError('seed: "now" is not a valid date');
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new RangeError(`seed: days must be an integer from 1 to ${MAX_DAYS}`);
  }
  const end = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  return { start: new Date(end - days * DAY_MS), end: new Date(end) };
}

/**
 * Generates the run history of `capsules` over the seed window: one run per
 * fire time of each schedule (evaluated with the service's own cron rules in
 * the capsule's time zone), a few runs a week by hand for capsules without
 * one, none after an archived capsule was paused. Runs that would still be
 * going at the end of the window are left out (they have not reported yet).
 *
 * Pure and deterministic: each run is drawn from a PRNG seeded by (seed,
 * slug, fire time), so a run is the same whatever the window, and a later
 * window only adds the newer runs. Sorted by start, then slug.
 */
export function generateRuns(capsules: readonly SampleCapsule[], options: SeedOptions): SeedRun[] {
  const window = seedWindow(options.now, options.days);
  const seed = options.seed ?? DEFAULT_SEED;
  const runs: SeedRun[] = [];
  for (const capsule of capsules) {
    const { profile } = capsule;
    const { slug } = capsule.definition;
    if (profile.pausedDaysAgo !== undefined && capsule.definition.status !== 'archived') {
      throw new Error(`seed: ${slug} has pausedDaysAgo but is not archived`);
    }
    const stop =
      profile.pausedDaysAgo === undefined
        ? window.end.getTime()
        : window.end.getTime() - profile.pausedDaysAgo * DAY_MS;
    for (const { at, random } of occasions(capsule, window.start.getTime(), stop, seed)) {
      const run = drawRun(capsule, at, random, seed);
      if (run && run.completedAt.getTime() <= window.end.getTime()) runs.push(run);
    }
  }
  return runs.sort(
    (a, b) => a.startedAt.getTime() - b.startedAt.getTime() || a.capsuleSlug.localeCompare(b.capsuleSlug),
  );
}

interface Occasion {
  /** The scheduled instant (or the start of a manual run). */
  at: number;
  random: () => number;
}

/** The instants in [from, to) a capsule is due: its fire times, or, without a schedule, its manual starts. */
function occasions(capsule: SampleCapsule, from: number, to: number, seed: number): Occasion[] {
  const { slug, schedule, timezone } = capsule.definition;
  const found: Occasion[] = [];
  if (schedule !== null) {
    const cron = CronSchedule.parse(schedule);
    let fire = cron.next(new Date(from - 1), timezone);
    while (fire !== null && fire.getTime() < to) {
      found.push({ at: fire.getTime(), random: prng(seed, slug, fire.toISOString()) });
      fire = cron.next(fire, timezone);
    }
    return found;
  }
  const manual = capsule.profile.manual;
  if (!manual) throw new Error(`seed: ${slug} has neither a schedule nor a manual profile`);
  for (let day = Math.floor(from / DAY_MS) * DAY_MS; day < to; day += DAY_MS) {
    const random = prng(seed, slug, new Date(day).toISOString());
    const weekday = new Date(day).getUTCDay();
    const chance = weekday === 0 || weekday === 6 ? manual.weekendChance : manual.weekdayChance;
    if (random() >= chance) continue;
    const offset = (manual.fromHour + random() * (manual.toHour - manual.fromHour)) * HOUR_MS;
    const at = day + Math.floor(offset / SECOND_MS) * SECOND_MS;
    if (at >= from && at < to) found.push({ at, random });
  }
  return found;
}

/** One run for an occasion, or null when the scheduler missed it. */
function drawRun(capsule: SampleCapsule, at: number, random: () => number, seed: number): SeedRun | null {
  const { definition, profile } = capsule;
  if (random() < profile.missRate) return null;
  const scheduled = definition.schedule !== null;
  // Scheduled runs start a few seconds after their fire time; a few start after the grace period.
  const delay = !scheduled
    ? 0
    : random() < profile.lateRate
      ? (definition.grace_seconds + 30 + random() * 1500) * SECOND_MS
      : random() * Math.min(45, definition.grace_seconds / 2) * SECOND_MS;
  const startedAt = at + Math.round(delay);

  const maxRuntimeMs = definition.max_runtime_seconds === null ? null : definition.max_runtime_seconds * SECOND_MS;
  const typicalMs = profile.medianSeconds * SECOND_MS * Math.exp(profile.spread * normal(random));
  const outcome = random();
  let status: FinalRunStatus;
  let durationMs: number;
  if (maxRuntimeMs !== null && outcome < profile.timeoutRate) {
    status = 'timeout';
    durationMs = maxRuntimeMs + random() * 5 * SECOND_MS;
  } else if (outcome < profile.timeoutRate + profile.errorRate) {
    status = 'error';
    durationMs = typicalMs * (0.05 + 0.65 * random());
  } else if (outcome < profile.timeoutRate + profile.errorRate + profile.cancelRate) {
    status = 'cancelled';
    durationMs = typicalMs * (0.1 + 0.4 * random());
  } else {
    status = 'success';
    durationMs = maxRuntimeMs === null ? typicalMs : Math.min(typicalMs, 0.9 * maxRuntimeMs);
  }
  durationMs = Math.max(SECOND_MS, Math.round(durationMs));

  const actor = pick(profile.actors, random);
  const runKey = `seed:${definition.slug}:${new Date(at).toISOString()}`;
  const run: SeedRun = {
    capsuleSlug: definition.slug,
    runKey,
    actor,
    status,
    startedAt: new Date(startedAt),
    completedAt: new Date(startedAt + durationMs),
    exitCode: 0,
    message: null,
    artifactUri: null,
    checksum: null,
  };
  switch (status) {
    case 'success':
      run.artifactUri = artifactUri(capsule, new Date(at));
      run.checksum = `sha256:${sha256(`${seed}:${runKey}:artifact`)}`;
      break;
    case 'error':
      run.exitCode = random() < 0.8 ? 1 : 2;
      run.message = pick(profile.errorMessages, random);
      break;
    case 'timeout':
      run.exitCode = 124;
      run.message = `killed after the maximum runtime of ${definition.max_runtime_seconds} s`;
      break;
    case 'cancelled':
      run.exitCode = 130;
      run.message = `cancelled by ${actor}`;
      break;
  }
  return run;
}

function artifactUri(capsule: SampleCapsule, at: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  const [year, month, day] = [at.getUTCFullYear(), pad(at.getUTCMonth() + 1), pad(at.getUTCDate())];
  const time = `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}`;
  const { artifactBase, artifactExtension } = capsule.profile;
  return `${artifactBase}/${year}/${month}/${day}/${capsule.definition.slug}-${time}.${artifactExtension}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Mulberry32, seeded from sha256 of the parts: a small, fast, well-mixed PRNG in [0, 1). */
function prng(...parts: (string | number)[]): () => number {
  let state = createHash('sha256').update(parts.join('|')).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal deviate (Box-Muller). */
function normal(random: () => number): number {
  const u = 1 - random(); // (0, 1]: log(u) is finite
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function pick<T>(items: readonly T[], random: () => number): T {
  if (items.length === 0) throw new Error('seed: a profile list is empty');
  return items[Math.floor(random() * items.length)];
}
