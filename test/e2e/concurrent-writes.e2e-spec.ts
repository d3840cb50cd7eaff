import type { Response } from 'supertest';
import { FixedClock } from '@app/common';
import { rollupDifferences } from '../support/rollup-check';
import { createTestApp, type TestApp } from '../support/test-app';
import type { RollupTotals } from '@app/analytics';

const SLOW = 60_000;
const CAPSULES = ['conc-alpha', 'conc-beta', 'conc-gamma'];
const STATUSES = ['success', 'error', 'timeout', 'running', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];
const COUNT_COLUMNS: Record<Status, string> = {
  success: 'successful_runs',
  error: 'error_runs',
  timeout: 'timeout_runs',
  running: 'running_runs',
  cancelled: 'cancelled_runs',
};
/** Reported instants start here and reach back over three UTC days (the clock is a day later). */
const FIRST_START = Date.parse('2026-11-20T21:07:00.000Z');

/** The rollups' counts (the histogram is compared elsewhere). */
type Counts = Omit<RollupTotals, 'runtime_histogram'>;

function emptyCounts(): Counts {
  return {
    total_runs: 0,
    running_runs: 0,
    successful_runs: 0,
    error_runs: 0,
    timeout_runs: 0,
    cancelled_runs: 0,
    runtime_count: 0,
    runtime_sum_ms: 0,
  };
}

/**
 * No lost and no duplicated writes under concurrency, through HTTP: parallel
 * run reports, idempotent retries racing each other, racing finishes of one
 * run and racing registrations of one capsule, with the rollups (kept by
 * triggers) checked against what was sent and against the runs table.
 */
describe('concurrent writes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock: new FixedClock(new Date('2026-11-24T12:00:00.000Z')), config: { dbPoolSize: 8 } });
    for (const slug of CAPSULES) {
      await t.http().post('/api/capsules').send({ slug, title: slug, kind: 'dispatch', mode: 'automated' }).expect(200);
    }
  }, SLOW);

  afterAll(async () => {
    await t?.close();
  });

  function fire<T>(count: number, request: (i: number) => PromiseLike<T>): Promise<T[]> {
    return Promise.all(Array.from({ length: count }, (_, i) => request(i)));
  }

  function statusesOf(answers: Response[]): number[] {
    return answers.map((a) => a.status);
  }

  /** Rollup counts per capsule slug and bucket key ('all', or the UTC hour/day the bucket starts). */
  async function rollups(grain: 'hour' | 'day' | 'all'): Promise<Record<string, Record<string, Counts>>> {
    const rows: (Counts & { slug: string; bucket: string })[] = await t.dataSource.query(
      `SELECT c.slug,
              CASE WHEN r.grain = 'all' THEN 'all'
                   ELSE to_char(r.bucket_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') END AS bucket,
              r.total_runs, r.running_runs, r.successful_runs, r.error_runs, r.timeout_runs, r.cancelled_runs,
              r.runtime_count, r.runtime_sum_ms::float8 AS runtime_sum_ms
       FROM capsule_run_rollups r JOIN capsules c ON c.id = r.capsule_id
       WHERE r.grain = $1 AND r.total_runs <> 0 AND c.slug = ANY($2::text[])`,
      [grain, CAPSULES],
    );
    const result: Record<string, Record<string, Counts>> = {};
    for (const { slug, bucket, ...counts } of rows) (result[slug] ??= {})[bucket] = counts;
    return result;
  }

  describe('200 parallel run reports over 3 capsules', () => {
    const N = 200;
    /** What was sent, per capsule and bucket key, in the shape of the rollups. */
    const sent: Record<'hour' | 'day' | 'all', Record<string, Record<string, Counts>>> = { hour: {}, day: {}, all: {} };
    /** Runtime of each report in ms (null while running). */
    const durations = Array.from({ length: N }, (_, i) =>
      STATUSES[i % STATUSES.length] === 'running' ? null : 1_000 + ((i * 7919) % 600_000),
    );
    let answers: Response[];

    beforeAll(async () => {
      const reports = durations.map((durationMs, i) => {
        const status = STATUSES[i % STATUSES.length];
        // Starts 23 minutes apart reach back over 76 hours: many hour and day buckets per capsule.
        const startedAt = FIRST_START + (i - N + 1) * 23 * 60_000;
        return {
          capsule_slug: CAPSULES[i % CAPSULES.length],
          actor: `worker-${i % 17}`,
          status,
          started_at: new Date(startedAt).toISOString(),
          ...(durationMs === null ? {} : { completed_at: new Date(startedAt + durationMs).toISOString() }),
          exit_code: status === 'success' ? 0 : 1,
        };
      });
      reports.forEach(({ capsule_slug: slug, status, started_at: startedAt }, i) => {
        const durationMs = durations[i];
        for (const [grain, bucket] of [
          ['hour', startedAt.slice(0, 13)],
          ['day', `${startedAt.slice(0, 10)}T00`],
          ['all', 'all'],
        ] as const) {
          const counts = ((sent[grain][slug] ??= {})[bucket] ??= emptyCounts());
          counts.total_runs++;
          counts[COUNT_COLUMNS[status] as keyof Counts]++;
          if (durationMs !== null) {
            counts.runtime_count++;
            counts.runtime_sum_ms += durationMs;
          }
        }
      });
      answers = await fire(N, (i) => t.http().post('/api/capsules/run').send(reports[i]));
    }, SLOW);

    it('answers 200 to every report, each with a run of its own', () => {
      expect(statusesOf(answers)).toEqual(Array(N).fill(200));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(N);
      answers.forEach((a, i) => {
        expect(a.body).toMatchObject({
          capsule_slug: CAPSULES[i % CAPSULES.length],
          status: STATUSES[i % STATUSES.length],
          actor: `worker-${i % 17}`,
          duration_ms: durations[i],
        });
      });
    });

    it('stores exactly the runs sent, by capsule and status', async () => {
      const rows: { slug: string; status: Status; n: number }[] = await t.dataSource.query(
        `SELECT c.slug, r.status, count(*)::int AS n FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id
         GROUP BY c.slug, r.status`,
      );
      const stored: Record<string, Partial<Record<Status, number>>> = {};
      for (const { slug, status, n } of rows) (stored[slug] ??= {})[status] = n;
      const expected: Record<string, Partial<Record<Status, number>>> = {};
      for (const slug of CAPSULES) {
        const all = sent.all[slug].all;
        expected[slug] = {};
        for (const status of STATUSES) {
          const n = all[COUNT_COLUMNS[status] as keyof Counts];
          if (n > 0) expected[slug][status] = n;
        }
      }
      expect(stored).toEqual(expected);
      const ids: { id: string }[] = await t.dataSource.query('SELECT id FROM capsule_runs ORDER BY id');
      expect(ids.map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(
        answers.map((a) => a.body.id as number).sort((a, b) => a - b),
      );
    });

    it.each(['all', 'day', 'hour'] as const)('keeps the %s rollups equal to what was sent', async (grain) => {
      expect(await rollups(grain)).toEqual(sent[grain]);
    });

    it('keeps every rollup equal to the runs table, and /performance agrees', async () => {
      expect(await rollupDifferences(t.dataSource)).toEqual([]);
      const res = await t.http().get('/api/capsules/performance').expect(200);
      for (const slug of CAPSULES) {
        const all = sent.all[slug].all;
        expect(res.body).toContainEqual(
          expect.objectContaining({
            capsule_slug: slug,
            total_runs: all.total_runs,
            successful_runs: all.successful_runs,
            failed_runs: all.error_runs + all.timeout_runs,
          }),
        );
      }
    });
  });

  describe('racing retries of one report', () => {
    const report = {
      capsule_slug: 'conc-alpha',
      actor: 'cron',
      status: 'success',
      started_at: '2026-11-23T06:00:00.000Z',
      completed_at: '2026-11-23T06:00:09.000Z',
    };

    async function runsWithKey(key: string): Promise<number> {
      const rows: { n: number }[] = await t.dataSource.query(
        'SELECT count(*)::int AS n FROM capsule_runs WHERE run_key = $1',
        [key],
      );
      return rows[0].n;
    }

    it('50 parallel reports with one key (header or body) record one run; all answer it', async () => {
      const answers = await fire(50, (i) =>
        i % 2 === 0
          ? t.http().post('/api/capsules/run').set('Idempotency-Key', 'race-1').send(report)
          : t
              .http()
              .post('/api/capsules/run')
              .send({ ...report, run_key: 'race-1' }),
      );
      expect(statusesOf(answers)).toEqual(Array(50).fill(200));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect(answers.filter((a) => a.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
      expect(await runsWithKey('race-1')).toBe(1);
      expect(await rollupDifferences(t.dataSource)).toEqual([]);
    });

    it('50 parallel reports with one key and two payloads: one run; its payload 200, the other 409', async () => {
      const answers = await fire(50, (i) =>
        t
          .http()
          .post('/api/capsules/run')
          .set('Idempotency-Key', 'race-2')
          .send({ ...report, status: i % 2 === 0 ? 'success' : 'error' }),
      );
      expect(await runsWithKey('race-2')).toBe(1);
      const stored: { status: string }[] = await t.dataSource.query(
        'SELECT status FROM capsule_runs WHERE run_key = $1',
        ['race-2'],
      );
      const winner = stored[0].status;
      answers.forEach((a, i) => {
        const sentStatus = i % 2 === 0 ? 'success' : 'error';
        if (sentStatus === winner) {
          expect({ status: a.status, status_field: a.body.status }).toEqual({ status: 200, status_field: winner });
        } else {
          expect({ status: a.status, code: a.body.code }).toEqual({ status: 409, code: 'RUN_KEY_CONFLICT' });
        }
      });
      expect(new Set(answers.filter((a) => a.status === 200).map((a) => a.body.id)).size).toBe(1);
      expect(await rollupDifferences(t.dataSource)).toEqual([]);
    });
  });

  describe('racing finishes of running runs', () => {
    it(
      'of 20 different finishes of each of 5 runs, exactly one wins per run; the others are 409',
      async () => {
        const started = await fire(5, (i) =>
          t
            .http()
            .post('/api/capsules/run')
            .send({
              capsule_slug: CAPSULES[i % CAPSULES.length],
              actor: 'finisher',
              status: 'running',
              started_at: `2026-11-23T1${i}:00:00.000Z`,
            })
            .expect(200),
        );
        const ids = started.map((s) => s.body.id as number);
        const finals = ['success', 'error', 'timeout', 'cancelled'];
        // Every finish is a distinct outcome (its own exit code), so no two count as the same retry.
        const answers = await fire(100, (k) => {
          const run = k % 5;
          const attempt = Math.floor(k / 5);
          return t
            .http()
            .patch(`/api/capsules/runs/${ids[run]}`)
            .send({
              status: finals[attempt % finals.length],
              exit_code: attempt,
              completed_at: `2026-11-23T1${run}:00:30.000Z`,
            });
        });

        for (let run = 0; run < 5; run++) {
          const mine = answers.filter((_, k) => k % 5 === run);
          const won = mine.filter((a) => a.status === 200);
          expect({ run, won: won.length, others: mine.filter((a) => a.status !== 200).map((a) => a.status) }).toEqual({
            run,
            won: 1,
            others: Array(19).fill(409),
          });
          const res = await t.http().get(`/api/capsules/runs/${ids[run]}`).expect(200);
          expect(res.body).toMatchObject({
            status: won[0].body.status,
            exit_code: won[0].body.exit_code,
            completed_at: `2026-11-23T1${run}:00:30.000Z`,
            duration_ms: 30_000,
          });
          expect(mine.filter((a) => a.status === 409).every((a) => a.body.code === 'RUN_ALREADY_FINISHED')).toBe(true);
        }
        const stillRunning: { n: number }[] = await t.dataSource.query(
          `SELECT count(*)::int AS n FROM capsule_runs WHERE id = ANY($1::bigint[]) AND status = 'running'`,
          [ids],
        );
        expect(stillRunning[0].n).toBe(0);
        expect(await rollupDifferences(t.dataSource)).toEqual([]);
      },
      SLOW,
    );
  });

  describe('racing registrations of one capsule', () => {
    it(
      '30 parallel upserts of one slug with different titles: one capsule, versions 1..30',
      async () => {
        const titles = Array.from({ length: 30 }, (_, i) => `Contested ${i}`);
        const answers = await fire(30, (i) =>
          t
            .http()
            .post('/api/capsules')
            .send({ slug: 'conc-contested', title: titles[i], kind: 'dispatch', mode: 'automated' }),
        );
        expect(statusesOf(answers)).toEqual(Array(30).fill(200));
        // Each write saw the one before it: the revisions it answered are 1..30, once each.
        expect(answers.map((a) => a.body.revision as number).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 30 }, (_, i) => i + 1),
        );

        const capsules: { id: number; title: string; revision: number }[] = await t.dataSource.query(
          `SELECT id, title, revision FROM capsules WHERE slug = 'conc-contested'`,
        );
        expect(capsules).toHaveLength(1);
        const versions: { revision: number; title: string }[] = await t.dataSource.query(
          `SELECT revision, definition->>'title' AS title FROM capsule_versions WHERE capsule_id = $1 ORDER BY revision`,
          [capsules[0].id],
        );
        expect(versions.map((v) => v.revision)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        expect(versions.map((v) => v.title).sort()).toEqual([...titles].sort());
        // The stored capsule is the last version, and every answer matches the version of its revision.
        expect(capsules[0]).toMatchObject({ revision: 30, title: versions[29].title });
        for (const a of answers) expect(a.body.title).toBe(versions[a.body.revision - 1].title);
      },
      SLOW,
    );
  });
});
