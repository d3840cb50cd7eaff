import { type DefinitionPeriod, ledger, type LedgerEntry, slotsAround, type SlotRun } from './slots';

const daily = (over: Partial<DefinitionPeriod> = {}): DefinitionPeriod => ({
  revision: 1,
  from: new Date('2026-11-01T00:00:00Z'),
  until: null,
  schedule: '0 6 * * *',
  timezone: 'UTC',
  graceSeconds: 300,
  archived: false,
  ...over,
});

let runId = 0;
const run = (startedAt: string, status = 'success'): SlotRun => ({
  id: String(++runId),
  status,
  startedAt: new Date(startedAt),
});

/** The ledger of [from, to) at `now`, as [at, outcome, run start] triples. */
function book(periods: DefinitionPeriod[], runs: SlotRun[], from: string, to: string, now: string) {
  const range = { from: new Date(from), to: new Date(to), now: new Date(now) };
  const { slots } = slotsAround(periods, range.from, range.to, 10_000);
  return ledger(slots, runs, range).map((e: LedgerEntry) => [
    e.at.toISOString(),
    e.outcome,
    e.run?.startedAt.toISOString() ?? null,
  ]);
}

describe('the slot ledger', () => {
  it('on time within grace, late after it, missed without a run, pending while the window is open', () => {
    const runs = [run('2026-12-01T06:02:00Z'), run('2026-12-02T06:05:01Z')];
    expect(book([daily()], runs, '2026-12-01T00:00:00Z', '2026-12-05T00:00:00Z', '2026-12-04T07:00:00Z')).toEqual([
      ['2026-12-01T06:00:00.000Z', 'on_time', '2026-12-01T06:02:00.000Z'],
      ['2026-12-02T06:00:00.000Z', 'late', '2026-12-02T06:05:01.000Z'],
      ['2026-12-03T06:00:00.000Z', 'missed', null],
      ['2026-12-04T06:00:00.000Z', 'pending', null],
    ]);
  });

  it('exactly at grace is on time; a run up to a minute early counts for the slot', () => {
    const runs = [run('2026-12-01T06:05:00Z'), run('2026-12-02T05:59:01Z'), run('2026-12-03T05:58:59Z')];
    expect(book([daily()], runs, '2026-12-01T00:00:00Z', '2026-12-04T00:00:00Z', '2026-12-05T00:00:00Z')).toEqual([
      ['2026-12-01T06:00:00.000Z', 'on_time', '2026-12-01T06:05:00.000Z'],
      ['2026-12-02T06:00:00.000Z', 'on_time', '2026-12-02T05:59:01.000Z'],
      // 61 s early: it belongs to the window of the day before, which had its run: a duplicate.
      ['2026-12-03T05:58:59.000Z', 'extra', '2026-12-03T05:58:59.000Z'],
      ['2026-12-03T06:00:00.000Z', 'missed', null],
    ]);
  });

  it('a second run of a slot is extra; a late run before the next slot still settles its slot', () => {
    const runs = [run('2026-12-01T06:01:00Z'), run('2026-12-01T09:00:00Z'), run('2026-12-02T20:00:00Z')];
    expect(book([daily()], runs, '2026-12-01T00:00:00Z', '2026-12-03T00:00:00Z', '2026-12-05T00:00:00Z')).toEqual([
      ['2026-12-01T06:00:00.000Z', 'on_time', '2026-12-01T06:01:00.000Z'],
      ['2026-12-01T09:00:00.000Z', 'extra', '2026-12-01T09:00:00.000Z'],
      ['2026-12-02T06:00:00.000Z', 'late', '2026-12-02T20:00:00.000Z'],
    ]);
  });

  it('no slots before the capsule had a schedule; runs then are extra', () => {
    const periods = [
      daily({ schedule: null, until: new Date('2026-12-02T12:00:00Z') }),
      daily({ from: new Date('2026-12-02T12:00:00Z') }),
    ];
    const runs = [run('2026-12-01T06:00:00Z'), run('2026-12-03T06:00:30Z')];
    expect(book(periods, runs, '2026-12-01T00:00:00Z', '2026-12-04T00:00:00Z', '2026-12-05T00:00:00Z')).toEqual([
      ['2026-12-01T06:00:00.000Z', 'extra', '2026-12-01T06:00:00.000Z'],
      ['2026-12-03T06:00:00.000Z', 'on_time', '2026-12-03T06:00:30.000Z'],
    ]);
  });

  it('a schedule change: the old schedule’s slots until the change, the new one’s after', () => {
    const change = new Date('2026-12-02T10:00:00Z');
    const periods = [daily({ until: change }), daily({ from: change, schedule: '0 18 * * *' })];
    // The 06:00 run of the 2nd is on time; a run at 12:00 after the change is late for... nothing
    // due since 06:00 had its run: extra. 18:00 slots from then on.
    const runs = [run('2026-12-02T06:00:10Z'), run('2026-12-02T12:00:00Z'), run('2026-12-02T18:03:00Z')];
    expect(book(periods, runs, '2026-12-02T00:00:00Z', '2026-12-04T00:00:00Z', '2026-12-03T19:00:00Z')).toEqual([
      ['2026-12-02T06:00:00.000Z', 'on_time', '2026-12-02T06:00:10.000Z'],
      ['2026-12-02T12:00:00.000Z', 'extra', '2026-12-02T12:00:00.000Z'],
      ['2026-12-02T18:00:00.000Z', 'on_time', '2026-12-02T18:03:00.000Z'],
      ['2026-12-03T18:00:00.000Z', 'pending', null],
    ]);
  });

  it('archived periods are paused and their runs extra', () => {
    const archivedAt = new Date('2026-12-02T00:00:00Z');
    const restoredAt = new Date('2026-12-03T00:00:00Z');
    const periods = [
      daily({ until: archivedAt }),
      daily({ from: archivedAt, until: restoredAt, archived: true }),
      daily({ from: restoredAt }),
    ];
    const runs = [run('2026-12-02T06:00:00Z'), run('2026-12-03T06:00:00Z')];
    expect(book(periods, runs, '2026-12-01T00:00:00Z', '2026-12-04T00:00:00Z', '2026-12-05T00:00:00Z')).toEqual([
      ['2026-12-01T06:00:00.000Z', 'missed', null],
      ['2026-12-02T06:00:00.000Z', 'paused', null],
      ['2026-12-02T06:00:00.000Z', 'extra', '2026-12-02T06:00:00.000Z'],
      ['2026-12-03T06:00:00.000Z', 'on_time', '2026-12-03T06:00:00.000Z'],
    ]);
  });

  it('a removed schedule ends the last window at the removal', () => {
    const removedAt = new Date('2026-12-01T12:00:00Z');
    const periods = [daily({ until: removedAt }), daily({ from: removedAt, schedule: null })];
    const runs = [run('2026-12-01T13:00:00Z')];
    expect(book(periods, runs, '2026-12-01T00:00:00Z', '2026-12-03T00:00:00Z', '2026-12-05T00:00:00Z')).toEqual([
      ['2026-12-01T06:00:00.000Z', 'missed', null],
      ['2026-12-01T13:00:00.000Z', 'extra', '2026-12-01T13:00:00.000Z'],
    ]);
  });

  it('DST in New York: the 02:30 slot of the spring gap fires at 03:00 local, once', () => {
    const periods = [
      daily({ from: new Date('2026-01-01T00:00:00Z'), schedule: '30 2 * * *', timezone: 'America/New_York' }),
    ];
    const runs = [run('2026-03-08T07:01:00Z'), run('2026-03-09T06:31:00Z')];
    expect(book(periods, runs, '2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z')).toEqual([
      ['2026-03-07T07:30:00.000Z', 'missed', null],
      ['2026-03-08T07:00:00.000Z', 'on_time', '2026-03-08T07:01:00.000Z'],
      ['2026-03-09T06:30:00.000Z', 'on_time', '2026-03-09T06:31:00.000Z'],
    ]);
  });

  it('an hourly schedule across the autumn overlap has both 01:00s', () => {
    const periods = [daily({ schedule: '0 * * * *', timezone: 'America/New_York', graceSeconds: 60 })];
    const slots = book(periods, [], '2026-11-01T04:30:00Z', '2026-11-01T07:30:00Z', '2026-11-02T00:00:00Z');
    expect(slots.map(([at]) => at)).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
    ]);
  });

  it('the slot before the range claims the runs of its window (they are not extra in the range)', () => {
    const runs = [run('2026-12-01T23:00:00Z')];
    // The 06:00 slot of the 1st is outside [12:00, …) but its late run at 23:00 is its own.
    expect(book([daily()], runs, '2026-12-01T12:00:00Z', '2026-12-02T00:00:00Z', '2026-12-05T00:00:00Z')).toEqual([]);
  });
});
