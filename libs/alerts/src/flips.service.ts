import { Injectable } from '@nestjs/common';
import { Clock, type RecentWindow, recentRange } from '@app/common';
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

  async history(capsuleId: number, window: RecentWindow): Promise<FlipHistory> {
    const { from, to } = recentRange(window, this.clock.now());
    const [flips, downtimeSeconds] = await Promise.all([
      this.alerts.flipsBetween(capsuleId, from, to, MAX_FLIPS),
      this.alerts.downtimeSeconds(capsuleId, from, to),
    ]);
    // Newest first: each flip's state lasts until the next one (the newest until now).
    const entries: FlipEntry[] = flips.map((flip, i) => {
      const end = i === 0 ? to : flips[i - 1].at;
      return { ...flip, durationSeconds: Math.round((end.getTime() - flip.at.getTime()) / 1000) };
    });
    return { from, to, downtimeSeconds: Math.round(downtimeSeconds), flips: entries };
  }
}
