import { CronSchedule } from '@app/schedules';
import { SAMPLE_CAPSULES } from './sample-capsules';
import { generateRuns, seedWindow } from './seed-runs';

describe('seed runs', () => {
  const NOW = new Date('2026-11-24T09:59:44.000Z');

  it('the window ends at the last full hour and reaches whole days back', () => {
    expect(seedWindow(NOW, 28)).toEqual({
      start: new Date('2026-10-27T09:00:00.000Z'),
      end: new Date('2026-11-24T09:00:00.000Z'),
    });
    expect(seedWindow(new Date('2026-11-24T10:00:00.000Z'), 1).end).toEqual(new Date('2026-11-24T10:00:00.000Z'));
    expect(() => seedWindow(NOW, 0)).toThrow(RangeError);
    expect(() => seedWindow(new Date('nope'), 3)).toThrow(RangeError);
  });

  it('is deterministic: the same now and seed give the same runs; another seed does not', () => {
    const runs = generateRuns(SAMPLE_CAPSULES, { now: NOW });
    expect(generateRuns(SAMPLE_CAPSULES, { now: NOW })).toEqual(runs);
    expect(generateRuns(SAMPLE_CAPSULES, { now: NOW, seed: 7 })).not.toEqual(runs);
  });

  it('a later window keeps the runs the two windows share, unchanged', () => {
    const runs = generateRuns(SAMPLE_CAPSULES, { now: NOW });
    const later = generateRuns(SAMPLE_CAPSULES, { now: new Date(NOW.getTime() + 3 * 86_400_000) });
    const laterByKey = new Map(later.map((run) => [run.runKey, run]));
    const { start } = seedWindow(new Date(NOW.getTime() + 3 * 86_400_000));
    for (const run of runs.filter((r) => r.startedAt >= start)) {
      expect(laterByKey.get(run.runKey)).toEqual(run);
    }
  });

  it('every run is finished inside the window, with a unique key and consistent fields', () => {
    const { start, end } = seedWindow(NOW);
    const runs = generateRuns(SAMPLE_CAPSULES, { now: NOW });
    expect(new Set(runs.map((r) => r.runKey)).size).toBe(runs.length);
    for (const run of runs) {
      expect(run.startedAt.getTime()).toBeGreaterThanOrEqual(start.getTime());
      expect(run.completedAt.getTime()).toBeLessThanOrEqual(end.getTime());
      expect(run.completedAt.getTime()).toBeGreaterThan(run.startedAt.getTime());
      expect(run.runKey).toMatch(new RegExp(`^seed:${run.capsuleSlug}:\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`));
      if (run.status === 'success') {
        expect(run.artifactUri).toMatch(/^(gs|s3):\/\/[a-z0-9-]+\/.+\.[a-z.]+$/);
        expect(run.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(run.exitCode).toBe(0);
      } else {
        expect(run.message).toEqual(expect.any(String));
        expect(run.exitCode).not.toBe(0);
      }
    }
  });

  it('scheduled runs follow the cron schedule in the capsule time zone', () => {
    const runs = generateRuns(SAMPLE_CAPSULES, { now: NOW });
    const dawn = SAMPLE_CAPSULES.find((c) => c.definition.slug === 'dawn-dispatch')!.definition;
    const cron = CronSchedule.parse(dawn.schedule!);
    const fires = runs
      .filter((r) => r.capsuleSlug === 'dawn-dispatch')
      .map((r) => new Date(r.runKey.slice('seed:dawn-dispatch:'.length)));
    for (const fire of fires) {
      expect(cron.next(new Date(fire.getTime() - 1), dawn.timezone)).toEqual(fire);
    }
    // 05:30 in New York: 09:30Z in summer time, 10:30Z after the clocks go back on 1 November.
    expect(fires.map((f) => f.toISOString().slice(11, 16))).toContain('09:30');
    expect(fires.map((f) => f.toISOString().slice(11, 16))).toContain('10:30');
  });

  it('runs are sorted by start and mix outcomes', () => {
    const runs = generateRuns(SAMPLE_CAPSULES, { now: NOW });
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i].startedAt.getTime()).toBeGreaterThanOrEqual(runs[i - 1].startedAt.getTime());
    }
    const statuses = new Set(runs.map((r) => r.status));
    expect([...statuses].sort()).toEqual(['cancelled', 'error', 'success', 'timeout']);
  });
});
