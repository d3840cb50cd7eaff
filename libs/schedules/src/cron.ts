/**
 * Five-field cron schedules evaluated in an IANA time zone, with the daylight-saving rule of
 * Debian (Vixie) cron and Python's cronsim. Pure module: Node built-ins only (Intl for offsets).
 *
 * Instants are UTC milliseconds throughout. A "wall" value is a local wall-clock time written
 * as if it were UTC milliseconds (Date.UTC of the local fields); wall values are only ever
 * compared or converted, never used as instants.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How far ahead next() searches before it gives up (about 30 years). */
const HORIZON_MS = 30 * 366 * DAY_MS;
/**
 * Offsets never change twice within this span, and a zone's offsets never differ by more than it,
 * so offsets sampled this far apart bracket at most one transition.
 */
const SETTLE_MS = 2 * DAY_MS;
/** Fixed instant the never-fires check searches from. */
const VALIDATION_START = Date.UTC(2000, 0, 1);
const MAX_EXPRESSION_LENGTH = 120;
/** Bound of the parse and next() caches. */
const MAX_CACHED = 1024;

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** A cron expression that cannot be parsed or never fires. The message is meant for people. */
export class InvalidCronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCronError';
  }
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names accepted in place of numbers, the first standing for `min`. */
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES },
];

function fieldError(spec: FieldSpec, problem: string): InvalidCronError {
  return new InvalidCronError(`schedule: ${spec.name} field ${problem}`);
}

function parseValue(spec: FieldSpec, token: string): number {
  let value: number;
  if (/^\d+$/.test(token)) {
    value = Number(token);
  } else {
    const index = spec.names?.indexOf(token.toLowerCase()) ?? -1;
    if (index < 0) {
      const hint = /[lw#?]/i.test(token) ? ' (the L, W, # and ? extensions are not supported)' : '';
      throw fieldError(spec, `has an invalid value "${token}"${hint}`);
    }
    value = index + spec.min;
  }
  if (value < spec.min || value > spec.max) {
    throw fieldError(spec, `"${token}" is out of range ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseStep(spec: FieldSpec, token: string): number {
  if (!/^\d+$/.test(token) || Number(token) === 0) {
    throw fieldError(spec, `step "${token}" must be a positive integer`);
  }
  return Number(token);
}

/** One list item: `*`, `a`, `a-b`, each optionally followed by `/step` (`a/step` runs to the field max). */
function parseItem(spec: FieldSpec, item: string, allowed: boolean[]): void {
  const [base, stepText, extra] = item.split('/');
  if (extra !== undefined || base === '' || base.startsWith('-') || base.endsWith('-')) {
    throw fieldError(spec, `has an invalid item "${item}"`);
  }
  const step = stepText === undefined ? 1 : parseStep(spec, stepText);
  let start: number;
  let end: number;
  if (base === '*') {
    [start, end] = [spec.min, spec.max];
  } else if (base.includes('-')) {
    const bounds = base.split('-');
    if (bounds.length !== 2) throw fieldError(spec, `has an invalid range "${base}"`);
    [start, end] = bounds.map((bound) => parseValue(spec, bound));
    if (end < start) throw fieldError(spec, `range "${base}" is reversed`);
  } else {
    start = parseValue(spec, base);
    end = stepText === undefined ? start : spec.max;
  }
  for (let value = start; value <= end; value += step) allowed[value] = true;
}

/** The allowed values of one field, as flags indexed by value. */
function parseField(spec: FieldSpec, text: string): boolean[] {
  const allowed: boolean[] = new Array<boolean>(spec.max + 1).fill(false);
  for (const item of text.split(',')) {
    if (item === '') throw fieldError(spec, `"${text}" has an empty list item`);
    parseItem(spec, item, allowed);
  }
  return allowed;
}

/** Lookup table: for each value v, the smallest allowed value >= v, or -1. */
function nextAllowedTable(allowed: readonly boolean[]): Int8Array {
  const table = new Int8Array(allowed.length + 1).fill(-1);
  for (let value = allowed.length - 1; value >= 0; value--) {
    table[value] = allowed[value] ? value : table[value + 1];
  }
  return table;
}

function nextAllowed(table: Int8Array, value: number): number {
  return value < table.length ? table[value] : -1;
}

function daysInMonth(year: number, month: number): number {
  return new Date(utcWall(year, month, 0)).getUTCDate();
}

/** Date.UTC without its two-digit-year rule (`Date.UTC(50, …)` is 1950): years 1-99 stay themselves. */
function utcWall(year: number, monthIndex: number, day: number, hour = 0, minute = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  date.setUTCHours(hour, minute, 0, 0);
  return date.getTime();
}

function splitFields(expression: string): string[] {
  if (expression.startsWith('@')) {
    const macro = MACROS[expression.toLowerCase()];
    if (macro === undefined) throw new InvalidCronError(`schedule: unknown macro "${expression}"`);
    return macro.split(' ');
  }
  const fields = expression.split(/\s+/);
  if (fields.length !== 5) {
    const hint = fields.length > 5 ? ' (seconds and year fields are not supported)' : '';
    throw new InvalidCronError(
      `schedule: expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}${hint}`,
    );
  }
  return fields;
}

/**
 * A parsed cron schedule: `minute hour day-of-month month day-of-week` (numbers, names, `*`,
 * ranges, steps and lists) or one of the macros `@yearly`, `@annually`, `@monthly`, `@weekly`,
 * `@daily`, `@midnight`, `@hourly`. When both day fields are restricted (neither starts with `*`)
 * a day matches if either matches; otherwise both must match.
 *
 * Daylight saving (Debian cron / cronsim): a schedule whose minute and hour fields both name
 * fixed values ("fixed-time", e.g. `30 2 * * *`) fires once for each matching wall-clock time:
 * a time skipped by a spring-forward gap fires at the end of the gap, and a time repeated by an
 * autumn overlap fires at its first occurrence only. Any other schedule (e.g. `0 * * * *`)
 * matches real instants: skipped times never fire and repeated times fire twice.
 */
export class CronSchedule {
  private readonly minutes: Int8Array;
  private readonly hours: Int8Array;
  private readonly months: Int8Array;
  private readonly daysOfMonth: readonly boolean[];
  private readonly daysOfWeek: readonly boolean[];
  /** Both day fields must match (one of them starts with `*`). */
  private readonly daysAnd: boolean;
  /** Neither the minute nor the hour field starts with `*`: wall-clock (fixed-time) DST rule. */
  private readonly fixedTime: boolean;
  /**
   * Answers of next(), by zone and minute of `after`: fire times are whole minutes, so every
   * `after` within one minute has the same answer. Bounded; cleared when full.
   */
  private readonly answers = new Map<string, number | null>();

  /** Parsed schedules by expression (they are immutable, so one instance serves every caller). */
  private static readonly parsed = new Map<string, CronSchedule>();

  private constructor(readonly expression: string) {
    const fields = splitFields(expression);
    const [minutes, hours, daysOfMonth, months, daysOfWeek] = fields.map((text, index) =>
      parseField(FIELDS[index], text),
    );
    if (daysOfWeek[7]) daysOfWeek[0] = true;
    this.minutes = nextAllowedTable(minutes);
    this.hours = nextAllowedTable(hours);
    this.months = nextAllowedTable(months);
    this.daysOfMonth = daysOfMonth;
    this.daysOfWeek = daysOfWeek.slice(0, 7);
    this.daysAnd = fields[2].startsWith('*') || fields[4].startsWith('*');
    this.fixedTime = !fields[0].startsWith('*') && !fields[1].startsWith('*');
  }

  /** Parses a cron expression; throws InvalidCronError if it is malformed or can never fire. */
  static parse(expression: string): CronSchedule {
    const known = CronSchedule.parsed.get(expression);
    if (known) return known;
    const trimmed = expression.trim();
    if (trimmed === '') throw new InvalidCronError('schedule: the expression is empty');
    if (trimmed.length > MAX_EXPRESSION_LENGTH) {
      throw new InvalidCronError(`schedule: the expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
    }
    const schedule = new CronSchedule(trimmed);
    if (schedule.next(new Date(VALIDATION_START), 'UTC') === null) {
      throw new InvalidCronError(`schedule: "${trimmed}" never fires (no date matches its day and month fields)`);
    }
    if (CronSchedule.parsed.size >= MAX_CACHED) CronSchedule.parsed.clear();
    CronSchedule.parsed.set(expression, schedule);
    return schedule;
  }

  /**
   * First fire instant strictly after `after`, evaluated in the IANA zone `timeZone`; null if
   * there is none within about 30 years. See the class comment for the daylight-saving rule.
   * Throws RangeError for an invalid date or an unknown time zone.
   */
  next(after: Date, timeZone: string): Date | null {
    const start = after.getTime();
    if (Number.isNaN(start)) throw new RangeError('schedule: "after" is not a valid date');
    const key = `${timeZone}|${Math.floor(start / MINUTE_MS)}`;
    let instant = this.answers.get(key);
    if (instant === undefined) {
      const zone = zoneFor(timeZone);
      instant = this.fixedTime ? this.nextFixedTime(start, zone) : this.nextRealTime(start, zone);
      if (this.answers.size >= MAX_CACHED) this.answers.clear();
      this.answers.set(key, instant);
    }
    return instant === null ? null : new Date(instant);
  }

  /**
   * Successive fire instants strictly after `after`, lazily, without the answer cache: for
   * walking a range (the slot ledger), where every `after` is new, so caching would only evict
   * the answers other callers reuse and leave the walk computing cold.
   */
  *following(after: Date, timeZone: string): Generator<Date> {
    let start = after.getTime();
    if (Number.isNaN(start)) throw new RangeError('schedule: "after" is not a valid date');
    const zone = zoneFor(timeZone);
    for (;;) {
      const instant = this.fixedTime ? this.nextFixedTime(start, zone) : this.nextRealTime(start, zone);
      if (instant === null) return;
      yield new Date(instant);
      start = instant;
    }
  }

  /** The next `count` fire instants strictly after `after`: ascending, distinct, fewer if the schedule runs out. */
  nextN(after: Date, timeZone: string, count: number): Date[] {
    if (!Number.isInteger(count) || count < 0) throw new RangeError('schedule: count must be a non-negative integer');
    const instants: Date[] = [];
    let cursor = after;
    while (instants.length < count) {
      const instant = this.next(cursor, timeZone);
      if (instant === null) break;
      instants.push(instant);
      cursor = instant;
    }
    return instants;
  }

  /**
   * Fixed-time rule: walk matching wall times in order and map each to its first occurrence (or to
   * the end of a gap). That mapping never decreases, so the first result after `after` is the answer.
   * Wall times before the wall time of `after` map to instants <= `after`.
   */
  private nextFixedTime(after: number, zone: Zone): number | null {
    let from = floorMinute(after + zone.offset(after));
    const limit = from + HORIZON_MS;
    for (;;) {
      const wall = this.firstMatch(from, limit);
      if (wall === null) return null;
      const instant = zone.firstInstant(wall);
      if (instant > after) return instant;
      from = wall + MINUTE_MS;
    }
  }

  /**
   * Real-time rule: walk stretches of constant offset. Within one, matches are matching wall times
   * minus the offset. A candidate far ahead is reached by a jump: matches between can only hide
   * within SETTLE_MS of either end (offsets differ by less than that), and the start is checked first.
   */
  private nextRealTime(after: number, zone: Zone): number | null {
    const limit = after + HORIZON_MS;
    let from = floorMinute(after) + MINUTE_MS;
    while (from <= limit) {
      const offset = zone.offset(from);
      const wall = this.firstMatch(from + offset, limit + offset);
      if (wall === null) return null;
      const candidate = wall - offset;
      const probe = Math.min(candidate, from + SETTLE_MS);
      if (zone.offset(probe) !== offset) {
        from = zone.transitionIn(from, probe);
      } else if (probe === candidate) {
        return candidate;
      } else {
        from = Math.max(from + SETTLE_MS, candidate - SETTLE_MS);
      }
    }
    return null;
  }

  /** The first matching wall time >= `from` (rounded up to a minute), or null if it is after `limit`. */
  private firstMatch(from: number, limit: number): number | null {
    const start = new Date(ceilMinute(from));
    let [year, month, day] = [start.getUTCFullYear(), start.getUTCMonth() + 1, start.getUTCDate()];
    let [hour, minute] = [start.getUTCHours(), start.getUTCMinutes()];
    const lastYear = new Date(limit).getUTCFullYear();
    while (year <= lastYear) {
      const nextMonth = nextAllowed(this.months, month);
      if (nextMonth < 0) {
        [year, month, day, hour, minute] = [year + 1, 1, 1, 0, 0];
        continue;
      }
      if (nextMonth > month) [month, day, hour, minute] = [nextMonth, 1, 0, 0];
      const nextDay = this.nextDay(year, month, day);
      if (nextDay < 0) {
        [month, day, hour, minute] = [month + 1, 1, 0, 0];
        continue;
      }
      if (nextDay > day) [day, hour, minute] = [nextDay, 0, 0];
      const nextHour = nextAllowed(this.hours, hour);
      if (nextHour < 0) {
        [day, hour, minute] = [day + 1, 0, 0];
        continue;
      }
      if (nextHour > hour) [hour, minute] = [nextHour, 0];
      const nextMinute = nextAllowed(this.minutes, minute);
      if (nextMinute < 0) {
        [hour, minute] = [hour + 1, 0];
        continue;
      }
      const wall = utcWall(year, month - 1, day, hour, nextMinute);
      return wall <= limit ? wall : null;
    }
    return null;
  }

  /** The first day >= `day` of the month that matches the day fields, or -1. */
  private nextDay(year: number, month: number, day: number): number {
    const lastDay = daysInMonth(year, month);
    let weekday = new Date(utcWall(year, month - 1, day)).getUTCDay();
    for (let candidate = day; candidate <= lastDay; candidate++) {
      const dom = this.daysOfMonth[candidate];
      const dow = this.daysOfWeek[weekday];
      if (this.daysAnd ? dom && dow : dom || dow) return candidate;
      weekday = (weekday + 1) % 7;
    }
    return -1;
  }
}

function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

function ceilMinute(ms: number): number {
  return Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Offsets and wall clocks of one IANA zone, read through a cached Intl.DateTimeFormat. */
class Zone {
  constructor(private readonly format: Intl.DateTimeFormat) {}

  wallClock(instant: number): WallClock {
    const clock: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const part of this.format.formatToParts(instant)) {
      if (part.type in clock) clock[part.type as keyof WallClock] = Number(part.value);
    }
    if (clock.hour === 24) clock.hour = 0;
    return clock;
  }

  /** Offset from UTC at `instant`, in ms (local wall time minus UTC). */
  offset(instant: number): number {
    const { year, month, day, hour, minute, second } = this.wallClock(instant);
    const wall = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
    wall.setUTCFullYear(year);
    return wall.getTime() - Math.floor(instant / 1000) * 1000;
  }

  /**
   * The instant a wall time first occurs at; for a wall time inside a spring-forward gap, the
   * end of the gap. Offsets a day either side bracket any transition near `wall`.
   */
  firstInstant(wall: number): number {
    const before = this.offset(wall - DAY_MS);
    const after = this.offset(wall + DAY_MS);
    if (before === after) return wall - before;
    const early = wall - before;
    const late = wall - after;
    const earlyValid = this.offset(early) === before;
    const lateValid = this.offset(late) === after;
    if (earlyValid && lateValid) return Math.min(early, late);
    if (earlyValid) return early;
    if (lateValid) return late;
    return this.transitionIn(Math.min(early, late), Math.max(early, late));
  }

  /** The first minute in (lo, hi] whose offset differs from the offset at lo (which differs from hi's). */
  transitionIn(lo: number, hi: number): number {
    const before = this.offset(lo);
    let loMinute = Math.floor(lo / MINUTE_MS);
    let hiMinute = Math.ceil(hi / MINUTE_MS);
    while (hiMinute - loMinute > 1) {
      const middle = Math.floor((loMinute + hiMinute) / 2);
      if (this.offset(middle * MINUTE_MS) === before) loMinute = middle;
      else hiMinute = middle;
    }
    return hiMinute * MINUTE_MS;
  }
}

/** Rough shape of an IANA zone name; rejects POSIX TZ strings and numeric offsets up front. */
const ZONE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;
const MAX_CACHED_ZONES = 500;
const zones = new Map<string, Zone>();

function zoneFor(timeZone: string): Zone {
  const cached = zones.get(timeZone);
  if (cached) return cached;
  if (!ZONE_NAME_PATTERN.test(timeZone)) throw new RangeError(`schedule: unknown time zone "${timeZone}"`);
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new RangeError(`schedule: unknown time zone "${timeZone}"`);
  }
  if (zones.size >= MAX_CACHED_ZONES) zones.clear();
  const zone = new Zone(format);
  zones.set(timeZone, zone);
  return zone;
}

/** True for an IANA time zone name this runtime knows (e.g. 'UTC', 'Europe/Paris'); false otherwise. */
export function isValidTimeZone(name: string): boolean {
  try {
    zoneFor(name);
    return true;
  } catch {
    return false;
  }
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const minutes = Math.floor(Math.abs(offsetMs) / MINUTE_MS);
  return `${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/**
 * Local wall time of `instant` in `timeZone` with its UTC offset, to the second, e.g.
 * "2025-03-09T03:00:00-04:00" (America/New_York) or "2025-01-01T05:30:00+05:30" (Asia/Kolkata).
 */
export function formatLocal(instant: Date, timeZone: string): string {
  const time = instant.getTime();
  if (Number.isNaN(time)) throw new RangeError('schedule: the instant is not a valid date');
  const zone = zoneFor(timeZone);
  const { year, month, day, hour, minute, second } = zone.wallClock(time);
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  return `${date}T${pad(hour)}:${pad(minute)}:${pad(second)}${formatOffset(zone.offset(time))}`;
}
