import { CronSchedule } from './cron';
import { scheduleState, type ScheduleStateInput } from './schedule-state';

const HOURLY = CronSchedule.parse('0 * * * *');
const base: ScheduleStateInput = {
  archived: false,
  schedule: HOURLY,
  timezone: 'UTC',
  graceSeconds: 300,
  maxRuntimeSeconds: null,
  lastRunAt: new Date('2026-11-24T06:00:00.000Z'),
  lastFinishedStatus: 'success',
  oldestRunningStartedAt: null,
};
// The latest run started 06:00, so the next fire time (due) is 07:00; grace ends 07:05.
const due = Date.parse('2026-11-24T07:00:00.000Z');
const at = (ms: number) => new Date(ms);

describe('scheduleState', () => {
  it('is paused when archived, whatever the runs say', () => {
    expect(scheduleState({ ...base, archived: true, lastFinishedStatus: 'error' }, at(due)).state).toBe('paused');
  });

  it('is new when the capsule never ran', () => {
    expect(scheduleState({ ...base, lastRunAt: null, lastFinishedStatus: null }, at(due + 1e9))).toEqual({
      state: 'new',
      due: null,
    });
  });

  it.each([
    ['due - 1 ms', due - 1, 'up'],
    ['due', due, 'late'],
    ['due + grace - 1 ms', due + 300_000 - 1, 'late'],
    ['due + grace', due + 300_000, 'down'],
  ])('at %s it is %s', (_label, now, state) => {
    expect(scheduleState(base, at(now))).toEqual({ state, due: new Date(due) });
  });

  it('is down when the latest finished run failed, even before due', () => {
    expect(scheduleState({ ...base, lastFinishedStatus: 'error' }, at(due - 1)).state).toBe('down');
    expect(scheduleState({ ...base, lastFinishedStatus: 'timeout' }, at(due - 1)).state).toBe('down');
  });

  it('is down when a run is still running past max_runtime_seconds, and not a millisecond before', () => {
    const running = { ...base, maxRuntimeSeconds: 600, oldestRunningStartedAt: new Date('2026-11-24T06:00:00.000Z') };
    const limit = Date.parse('2026-11-24T06:10:00.000Z');
    expect(scheduleState(running, at(limit - 1)).state).toBe('up');
    expect(scheduleState(running, at(limit)).state).toBe('down');
  });

  it('without a schedule it is up unless a run failed or is stuck', () => {
    expect(scheduleState({ ...base, schedule: null }, at(due + 1e9))).toEqual({ state: 'up', due: null });
    expect(scheduleState({ ...base, schedule: null, lastFinishedStatus: 'error' }, at(due)).state).toBe('down');
  });

  it('computes due in the capsule time zone', () => {
    const daily = { ...base, schedule: CronSchedule.parse('30 2 * * *'), timezone: 'America/New_York' };
    // Latest run 2025-03-08 12:00Z; the next 02:30 local falls in the spring gap and fires at 03:00 EDT.
    const result = scheduleState({ ...daily, lastRunAt: new Date('2025-03-08T12:00:00Z') }, at(0));
    expect(result.due).toEqual(new Date('2025-03-09T07:00:00.000Z'));
  });
});
