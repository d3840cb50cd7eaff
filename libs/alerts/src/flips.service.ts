import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { AlertsRepository, type FlipRow } from './alerts.repository';

export interface FlipEntry extends FlipRow {
  durationSeconds: number;
}

export interface FlipHistory {
  from: Date;
  to: Date;
  downtimeSeconds: number;
  /** Newest first. */
  flips: FlipEntry[];
}

/** Flips shown per window at most (a capsule flapping every minute for 90 days would be 130k). */
export const MAX_FLIPS = 1000;

/** A capsule's state history over a window, with the time spent down. */
@Injectable()
export class FlipsService {
  constructor(
    private readonly alerts: AlertsRepository,
    private readonly clock: Clock,
  ) {}

  async history(capsuleId: number, windowSeconds: number): Promise<FlipHistory> {
    const to = this.clock.now();
    const from = new Date(to.getTime() - windowSeconds * 1000);
    const flips = await this.alerts.flipsBetween(capsuleId, from, to, MAX_FLIPS);
    const before = await this.alerts.statusAt(capsuleId, from);
    // Oldest first: each flip's state lasts until the next one (the newest until now).
    const ascending = [...flips].reverse();
    let downMs = 0;
    let state = before ?? ascending[0]?.from_status ?? 'up';
    let since = from.getTime();
    const entries: FlipEntry[] = ascending.map((flip, i) => {
      if (state === 'down') downMs += flip.at.getTime() - since;
      state = flip.to_status;
      since = flip.at.getTime();
      const end = ascending[i + 1]?.at.getTime() ?? to.getTime();
      return { ...flip, durationSeconds: Math.round((end - flip.at.getTime()) / 1000) };
    });
    if (state === 'down') downMs += to.getTime() - since;
    return { from, to, downtimeSeconds: Math.round(downMs / 1000), flips: entries.reverse() };
  }
}
