import { startOfLocalDay } from './local-day';

describe('startOfLocalDay', () => {
  it.each([
    ['UTC', '2026-11-24T12:00:00Z', '2026-11-24T00:00:00.000Z'],
    ['UTC', '2026-11-24T00:00:00Z', '2026-11-24T00:00:00.000Z'],
    ['America/New_York', '2026-11-24T03:00:00Z', '2026-11-23T05:00:00.000Z'],
    ['America/New_York', '2026-11-24T05:00:00Z', '2026-11-24T05:00:00.000Z'],
    ['Asia/Kathmandu', '2026-11-24T18:00:00Z', '2026-11-23T18:15:00.000Z'],
    ['Asia/Kathmandu', '2026-11-24T18:20:00Z', '2026-11-24T18:15:00.000Z'],
    ['Australia/Sydney', '2026-11-24T12:00:00Z', '2026-11-23T13:00:00.000Z'],
    // Santiago skips 00:00-01:00 when DST starts (2025-09-07): that day starts at 01:00 local (04:00Z).
    ['America/Santiago', '2025-09-07T12:00:00Z', '2025-09-07T04:00:00.000Z'],
  ])('in %s, %s is in the day that started at %s', (tz, at, start) => {
    expect(startOfLocalDay(new Date(at), tz).toISOString()).toBe(start);
  });
});
