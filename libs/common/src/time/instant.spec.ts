import { parseInstant } from './instant';

const iso = (text: string) => parseInstant(text)?.toISOString();

describe('parseInstant', () => {
  it.each([
    ['2026-11-24T06:00:00Z', '2026-11-24T06:00:00.000Z'],
    ['2026-11-24T06:00:00.5Z', '2026-11-24T06:00:00.500Z'],
    ['2026-11-24T06:00:00.123456789Z', '2026-11-24T06:00:00.123Z'],
    ['2026-11-24t06:00:00z', '2026-11-24T06:00:00.000Z'],
    ['2026-11-24T07:30:00+01:30', '2026-11-24T06:00:00.000Z'],
    ['2026-11-24T01:00:00-05:00', '2026-11-24T06:00:00.000Z'],
    ['2026-11-24T06:00', '2026-11-24T06:00:00.000Z'],
    ['2026-11-24T06:00:00.250', '2026-11-24T06:00:00.250Z'],
    ['2026-11-24', '2026-11-24T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['0050-06-01T00:00:00Z', '0050-06-01T00:00:00.000Z'],
    ['0001-01-01', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('%s is %s', (text, expected) => {
    expect(iso(text)).toBe(expected);
  });

  it.each([
    ['a week date', '2026-W49'],
    ['a week date with day', '2026-W49-3'],
    ['an ordinal date', '2026-336'],
    ['the basic format', '20261202T000000Z'],
    ['year 0000', '0000-01-01'],
    ['an extended year', '+010000-01-01T00:00:00Z'],
    ['February 30', '2026-02-30'],
    ['February 29 of a common year', '2025-02-29T00:00:00Z'],
    ['month 13', '2026-13-01'],
    ['hour 24', '2026-11-24T24:00:00Z'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['an offset past 23 hours', '2026-11-24T06:00:00+24:00'],
    ['an offset without a colon', '2026-11-24T06:00:00+0100'],
    ['a space for T', '2026-11-24 06:00:00Z'],
    ['a trailing space', '2026-11-24T06:00:00Z '],
    ['an offset that makes it year 0', '0001-01-01T00:30:00+01:00'],
    ['an offset that makes it year 10000', '9999-12-31T23:30:00-01:00'],
    ['words', 'yesterday'],
    ['empty', ''],
  ])('%s (%s) is refused', (_, text) => {
    expect(parseInstant(text)).toBeUndefined();
  });
});
