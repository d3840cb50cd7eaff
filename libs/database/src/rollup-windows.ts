/** The windows analytics answers cover: whole UTC hours or days, or all time. */
export const WINDOWS = ['24h', '7d', '30d', 'all'] as const;
export type AnalyticsWindow = (typeof WINDOWS)[number];

/** Grain of the rollup rows a window or a chart bucket reads. */
export type RollupGrain = 'hour' | 'day' | 'all';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

/**
 * The rollup grain and first bucket a window reads at `now`: 24h is the current hour and the 23
 * before it, 7d/30d the current day and the 6/29 before it. The one rule for the readers
 * (libs/analytics) and the window-base keeper (libs/runs), which makes the bases windows start at.
 */
export function windowStart(window: AnalyticsWindow, now: Date): { grain: RollupGrain; since: Date | null } {
  const t = now.getTime();
  switch (window) {
    case '24h':
      return { grain: 'hour', since: new Date(floorTo(t, HOUR_MS) - 23 * HOUR_MS) };
    case '7d':
      return { grain: 'day', since: new Date(floorTo(t, DAY_MS) - 6 * DAY_MS) };
    case '30d':
      return { grain: 'day', since: new Date(floorTo(t, DAY_MS) - 29 * DAY_MS) };
    case 'all':
      return { grain: 'all', since: null };
  }
}

/** When a window's first bucket moves on (the next UTC hour or day), or null for all time. */
export function windowChangesAt(window: AnalyticsWindow, now: Date): Date | null {
  const unit = window === '24h' ? HOUR_MS : window === 'all' ? null : DAY_MS;
  return unit === null ? null : new Date(floorTo(now.getTime(), unit) + unit);
}
