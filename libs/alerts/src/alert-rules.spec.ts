import {
  alertAfter,
  DEFAULT_RULES,
  type DeadlineFacts,
  effectiveRules,
  failureReason,
  type FinishedRunFacts,
  flipByTime,
  flipForFinishedRun,
  isQuietReport,
} from './alert-rules';

const at = new Date('2026-12-02T06:00:00Z');
const run = (over: Partial<FinishedRunFacts> = {}): FinishedRunFacts => ({
  status: 'success',
  durationMs: 60_000,
  completedAt: at,
  recentStatuses: ['success'],
  rolling: null,
  ...over,
});

describe('flipForFinishedRun', () => {
  it('a failure flips up to down at once by default, at the run’s completion', () => {
    expect(flipForFinishedRun('up', DEFAULT_RULES, run({ status: 'error', recentStatuses: ['error'] }))).toEqual({
      from: 'up',
      to: 'down',
      reason: 'failed',
      at,
    });
  });

  it('a failure of a capsule already down flips nothing; a success brings it back up', () => {
    expect(flipForFinishedRun('down', DEFAULT_RULES, run({ status: 'timeout', recentStatuses: ['timeout'] }))).toBe(
      null,
    );
    expect(flipForFinishedRun('down', DEFAULT_RULES, run())).toEqual({
      from: 'down',
      to: 'up',
      reason: 'recovered',
      at,
    });
  });

  it('cancelled runs and successes of an up capsule flip nothing; paused capsules never flip on runs', () => {
    expect(flipForFinishedRun('up', DEFAULT_RULES, run({ status: 'cancelled' }))).toBe(null);
    expect(flipForFinishedRun('up', DEFAULT_RULES, run())).toBe(null);
    expect(flipForFinishedRun('paused', DEFAULT_RULES, run({ status: 'error', recentStatuses: ['error'] }))).toBe(null);
  });

  it('a new capsule whose first run fails goes down', () => {
    expect(flipForFinishedRun('new', DEFAULT_RULES, run({ status: 'error', recentStatuses: ['error'] }))?.to).toBe(
      'down',
    );
  });

  it('slow: above max_seconds (not at it), or above p95 × factor', () => {
    const rules = effectiveRules({ slow: { max_seconds: 60 } });
    expect(flipForFinishedRun('up', rules, run({ durationMs: 60_000 }))).toBe(null);
    expect(flipForFinishedRun('up', rules, run({ durationMs: 60_001 }))?.reason).toBe('slow');
    const byP95 = effectiveRules({ slow: { p95_factor: 2 } });
    const rolling = { p95Ms: 10_000, p5Ms: 1_000 };
    expect(flipForFinishedRun('up', byP95, run({ durationMs: 20_000, rolling }))).toBe(null);
    expect(flipForFinishedRun('up', byP95, run({ durationMs: 20_001, rolling }))?.reason).toBe('slow');
    // Too few runs for a rolling percentile: the factor says nothing.
    expect(flipForFinishedRun('up', byP95, run({ durationMs: 1e9, rolling: null }))).toBe(null);
  });

  it('fast: below min_seconds (not at it), or below p5 ÷ divisor', () => {
    const rules = effectiveRules({ fast: { min_seconds: 5 } });
    expect(flipForFinishedRun('up', rules, run({ durationMs: 5_000 }))).toBe(null);
    expect(flipForFinishedRun('up', rules, run({ durationMs: 4_999 }))?.reason).toBe('fast');
    const byP5 = effectiveRules({ fast: { p5_divisor: 4 } });
    const rolling = { p95Ms: 10_000, p5Ms: 4_000 };
    expect(flipForFinishedRun('up', byP5, run({ durationMs: 1_000, rolling }))).toBe(null);
    expect(flipForFinishedRun('up', byP5, run({ durationMs: 999, rolling }))?.reason).toBe('fast');
  });

  it('a slow success of a capsule that is down keeps it down (no recovery)', () => {
    const rules = effectiveRules({ slow: { max_seconds: 1 } });
    expect(flipForFinishedRun('down', rules, run({ durationMs: 5_000 }))).toBe(null);
  });
});

describe('recovery under a rate rule', () => {
  it('waits until the failure rate is below the threshold', () => {
    const rules = effectiveRules({ failure: { rate: 0.5, window: 4 } });
    const still = run({ recentStatuses: ['success', 'error', 'error', 'success'] });
    expect(flipForFinishedRun('down', rules, still)).toBe(null);
    const below = run({ recentStatuses: ['success', 'success', 'error', 'success'] });
    expect(flipForFinishedRun('down', rules, below)?.reason).toBe('recovered');
  });
});

describe('failureReason', () => {
  it('after N consecutive failures, counted from the newest run', () => {
    const rule = { after: 3 };
    expect(failureReason(rule, ['error', 'timeout'])).toBe(null);
    expect(failureReason(rule, ['error', 'error', 'success', 'error'])).toBe(null);
    expect(failureReason(rule, ['error', 'timeout', 'error'])).toBe('failure_streak');
    expect(failureReason(rule, ['error', 'cancelled', 'error'])).toBe(null);
  });

  it('a failure rate over the last M finished runs, at the threshold, once M runs exist', () => {
    const rule = { rate: 0.5, window: 4 };
    expect(failureReason(rule, ['error', 'error', 'error'])).toBe(null);
    expect(failureReason(rule, ['error', 'success', 'error', 'success'])).toBe('failure_rate');
    expect(failureReason(rule, ['error', 'success', 'success', 'success', 'error'])).toBe(null);
  });
});

describe('deadlines', () => {
  const facts: DeadlineFacts = {
    archived: false,
    due: new Date('2026-12-02T06:00:00Z'),
    graceSeconds: 300,
    maxRuntimeSeconds: 600,
    oldestRunningStartedAt: null,
  };

  it('missed at due + grace exactly, at the computed instant, not at now', () => {
    const deadline = new Date('2026-12-02T06:05:00Z');
    expect(alertAfter('up', DEFAULT_RULES, facts)).toEqual(deadline);
    expect(flipByTime('up', DEFAULT_RULES, facts, new Date(deadline.getTime() - 1))).toBe(null);
    expect(flipByTime('up', DEFAULT_RULES, facts, new Date('2026-12-02T09:00:00Z'))).toEqual({
      from: 'up',
      to: 'down',
      reason: 'missed',
      at: deadline,
    });
  });

  it('stuck at start + max runtime, before missed when both are due', () => {
    const running = { ...facts, oldestRunningStartedAt: new Date('2026-12-02T05:00:00Z') };
    const stuckAt = new Date('2026-12-02T05:10:00Z');
    expect(alertAfter('up', DEFAULT_RULES, running)).toEqual(stuckAt);
    expect(flipByTime('up', DEFAULT_RULES, running, new Date('2026-12-02T07:00:00Z'))).toMatchObject({
      reason: 'stuck',
      at: stuckAt,
    });
  });

  it('nothing to watch while down, paused or archived, or with the rules off', () => {
    expect(alertAfter('down', DEFAULT_RULES, facts)).toBe(null);
    expect(alertAfter('paused', DEFAULT_RULES, facts)).toBe(null);
    expect(alertAfter('up', DEFAULT_RULES, { ...facts, archived: true })).toBe(null);
    expect(alertAfter('up', effectiveRules({ missed: false }), facts)).toBe(null);
    expect(flipByTime('down', DEFAULT_RULES, facts, new Date('2027-01-01T00:00:00Z'))).toBe(null);
  });

  it('a new capsule is not missed (it never ran) but its first run can be stuck', () => {
    expect(alertAfter('new', DEFAULT_RULES, facts)).toBe(null);
    const running = { ...facts, oldestRunningStartedAt: new Date('2026-12-02T05:00:00Z') };
    expect(flipByTime('new', DEFAULT_RULES, running, new Date('2026-12-02T05:10:00Z'))?.reason).toBe('stuck');
  });
});

describe('isQuietReport', () => {
  const withSlow = effectiveRules({ slow: { max_seconds: 60 } });
  it.each([
    ['an up capsule’s success', 'up', DEFAULT_RULES, null, 'success', true],
    ['an up capsule’s success with a duration rule', 'up', withSlow, null, 'success', false],
    ['a down capsule’s success (recovery)', 'down', DEFAULT_RULES, null, 'success', false],
    ['an up capsule’s failure', 'up', DEFAULT_RULES, null, 'error', false],
    ['a down capsule’s failure', 'down', DEFAULT_RULES, null, 'timeout', true],
    ['a start without a max runtime', 'up', DEFAULT_RULES, null, 'running', true],
    ['a start that can get stuck', 'up', DEFAULT_RULES, 600, 'running', false],
    ['a start with the stuck rule off', 'up', effectiveRules({ stuck: false }), 600, 'running', true],
    ['a new capsule’s first report', 'new', DEFAULT_RULES, null, 'success', false],
    ['a cancelled run', 'up', DEFAULT_RULES, null, 'cancelled', true],
    ['a paused capsule’s failure', 'paused', DEFAULT_RULES, null, 'error', true],
  ] as const)('%s: %s', (_, status, rules, maxRuntime, runStatus, quiet) => {
    expect(isQuietReport(status, rules, maxRuntime, runStatus)).toBe(quiet);
  });
});
