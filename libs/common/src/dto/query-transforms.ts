import { Transform } from 'class-transformer';
import { parseInstant } from '../time/instant';

type Raw = { obj: Record<string, unknown>; key: string };

/** Query parameters: an empty value (`?kind=`) means "no filter", like the original service. */
export const EmptyAsUndefined = () => Transform(({ obj, key }: Raw) => (obj[key] === '' ? undefined : obj[key]));

/** A repeatable parameter as an array (`?status=a&status=b`), empty values dropped. */
export const AsArray = () =>
  Transform(({ obj, key }: Raw) => {
    const raw = obj[key];
    if (raw === '' || raw === undefined) return undefined;
    return (Array.isArray(raw) ? (raw as unknown[]) : [raw]).filter((v) => v !== '');
  });

/** An instant `parseInstant` accepts, as a Date; anything else becomes an Invalid Date for IsDate to reject. */
export const AsInstant = () =>
  Transform(({ obj, key }: Raw) => {
    const raw = obj[key];
    if (raw === '' || raw === undefined) return undefined;
    return (typeof raw === 'string' ? parseInstant(raw) : undefined) ?? new Date(NaN);
  });
