import { Transform } from 'class-transformer';

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

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A strict ISO-8601 date or instant as a Date; anything else becomes an Invalid Date for IsDate to reject. */
export const AsInstant = () =>
  Transform(({ obj, key }: Raw) => {
    const raw = obj[key];
    if (raw === '' || raw === undefined) return undefined;
    return typeof raw === 'string' && ISO_INSTANT.test(raw) ? new Date(raw) : new Date(NaN);
  });
