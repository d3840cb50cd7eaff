import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * The one parser of instants the API accepts, in bodies and query strings
 * alike: RFC 3339 `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z` or a `±HH:MM`
 * offset (without one, UTC: what `datetime.utcnow().isoformat()` writes), or a
 * date `YYYY-MM-DD` (its midnight, UTC). Years 0001-9999, real calendar dates,
 * no leap seconds. Other ISO-8601 forms (week dates `2026-W49`, ordinal dates
 * `2026-336`, the basic format `20261202T000000Z`) are refused, never turned
 * into an invalid date further on.
 */
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|([+-])(\d{2}):(\d{2}))?)?$/;

/** How the OpenAPI document describes an instant a client sends. */
export const INSTANT_DOC =
  'RFC 3339 (`Z` or an offset like `+01:00`; without either, UTC), or a date `YYYY-MM-DD` (its midnight, UTC); ' +
  'other ISO-8601 forms (week or ordinal dates, the basic format) are a 422';

export const INSTANT_FORMS =
  'an instant like 2026-11-24T06:00:00Z (RFC 3339; an offset such as +01:00 instead of Z; without either, UTC) or a date like 2026-11-24';

/** The instant `text` names, or undefined when it is not one of the accepted forms. */
export function parseInstant(text: string): Date | undefined {
  const m = INSTANT.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (m[9]) {
    const [offsetHours, offsetMinutes] = [Number(m[10]), Number(m[11])];
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  }
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined; // 2026-02-30
  date.setUTCHours(hour, minute, second, millis);
  const instant = new Date(date.getTime() - offset);
  // An offset must not carry 0001-01-01 into year 0 (nor 9999-12-31 into 10000).
  const utcYear = instant.getUTCFullYear();
  return utcYear >= 1 && utcYear <= 9999 ? instant : undefined;
}

/** class-validator: the value is a string `parseInstant` accepts. */
export function IsInstant(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInstant',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseInstant(value) !== undefined,
        defaultMessage: (args) => `${args?.property ?? 'the value'} must be ${INSTANT_FORMS}`,
      },
    },
    options,
  );
}

/** `parseInstant` for a value already validated by `IsInstant`: an invalid one is a bug, and throws. */
export function toInstant(text: string): Date {
  const instant = parseInstant(text);
  if (instant === undefined) throw new TypeError(`not a validated instant: ${JSON.stringify(text)}`);
  return instant;
}
