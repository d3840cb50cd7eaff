import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { EmptyAsUndefined } from './query-transforms';

/** Windows that end now, in seconds: the `window` of flips and uptime. */
export const RECENT_WINDOWS = { '24h': 86_400, '7d': 604_800, '30d': 2_592_000, '90d': 7_776_000 } as const;
export type RecentWindow = keyof typeof RECENT_WINDOWS;

const NAMES = Object.keys(RECENT_WINDOWS);

/** A `window` query parameter of RECENT_WINDOWS (default 30d). */
export const RecentWindowField = () =>
  applyDecorators(
    ApiPropertyOptional({ enum: NAMES, description: 'The window ending now (default 30d)' }),
    EmptyAsUndefined(),
    IsOptional(),
    IsIn(NAMES, { message: `window must be one of ${NAMES.join(', ')}` }),
  );

/** [now − window, now] at `now`. */
export function recentRange(window: RecentWindow, now: Date): { from: Date; to: Date } {
  return { from: new Date(now.getTime() - RECENT_WINDOWS[window] * 1000), to: now };
}
