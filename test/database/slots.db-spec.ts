import { DataSource } from 'typeorm';
import { FixedClock, loadConfig } from '@app/common';
import { buildDataSourceOptions, Database } from '@app/database';
import { ledger, type LedgerEntry, slotsAround, type SlotRun } from '@app/schedules';
import { SchedulesRepository } from '../../libs/schedules/src/schedules.repository';
import { SlotCloser } from '../../libs/schedules/src/slot-closer';
import { SlotOutcomesRepository } from '../../libs/schedules/src/slot-outcomes.repository';
import { ledgerPosition, SlotsService } from '../../libs/schedules/src/slots.service';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The ledger of a range, read the bounded way (the range's slots and the runs of their windows),
 * equals the brute-force ledger of the whole history (every slot since the capsule's creation,
 * every run) cut to that range: for uptime counts and for every page.
 */
describe('slot ledger over a real history', () => {
  const now = new Date('2026-12-20T12:00:00.000Z');
  const clock = new FixedClock(now);
  let db: TestDatabase;
  let ds: DataSource;
  let slots: SlotsService;
  let repository: SchedulesRepository;
  let closer: SlotCloser;
  const capsules: Record<string, number> = {};

  /** A deterministic pseudo-random sequence (the same history at every run). */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648;
    };
  }

  async function capsule(slug: string, schedule: string | null, timezone: string, grace: number): Promise<number> {
    const [row] = await ds.query(
      `INSERT INTO capsules (slug, title, kind, mode, schedule, timezone, grace_seconds, created_at, updated_at)
       VALUES ($1, $1, 'k', 'm', $2, $3, $4, '2026-10-20T00:00:00Z', '2026-10-20T00:00:00Z') RETURNING id`,
      [slug, schedule, timezone, grace],
    );
    return row.id as number;
  }

  /** A definition change at `at` (the version trigger stamps it with updated_at). */
  async function change(id: number, at: string, set: string): Promise<void> {
    await ds.query(`UPDATE capsules SET ${set}, updated_at = $2 WHERE id = $1`, [id, at]);
  }

  /** Runs around each fire time: on time, late, early, twice, missing; plus strays. */
  async function runs(id: number, every: number, seed: number): Promise<void> {
    const next = random(seed);
    const starts: Date[] = [];
    for (let t = Date.parse('2026-10-15T00:00:00Z'); t < now.getTime(); t += every) {
      const roll = next();
      if (roll < 0.15) continue; // missed
      const jitter = roll < 0.3 ? -45_000 : roll < 0.75 ? next() * 240_000 : next() * every * 0.8;
      starts.push(new Date(t + jitter));
      if (next() < 0.1) starts.push(new Date(t + next() * every * 0.5)); // a duplicate
    }
    await ds.query(
      `INSERT INTO capsule_runs (capsule_id, actor, status, started_at, completed_at)
       SELECT $1, 'cron', 'success', s, s + interval '1 second' FROM unnest($2::timestamptz[]) AS s`,
      [id, starts],
    );
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await new DataSource(buildDataSourceOptions({ url: db.url, poolSize: 2 })).initialize();
    repository = new SchedulesRepository(new Database(ds));
    slots = new SlotsService(repository, clock);
    const database = new Database(ds);
    const config = { ...loadConfig({ NODE_ENV: 'test' }), slotsPollIntervalMs: 0 };
    closer = new SlotCloser(database, new SlotOutcomesRepository(database), repository, clock, config);
    // Daily at 06:00 Paris; moved to 18:00 on 1 December; archived 10-12 December.
    capsules.daily = await capsule('daily', '0 6 * * *', 'Europe/Paris', 300);
    await change(capsules.daily, '2026-12-01T09:30:00Z', `schedule = '0 18 * * *'`);
    await change(capsules.daily, '2026-12-10T00:00:00Z', `status = 'archived'`);
    await change(capsules.daily, '2026-12-12T00:00:00Z', `status = 'active'`);
    await runs(capsules.daily, 86_400_000, 7);
    // Hourly in New York, across the autumn overlap (1 November).
    capsules.hourly = await capsule('hourly', '0 * * * *', 'America/New_York', 120);
    await runs(capsules.hourly, 3_600_000, 11);
    // No schedule until 5 November, then every 15 minutes.
    capsules.late = await capsule('late-schedule', null, 'UTC', 60);
    await change(capsules.late, '2026-11-05T00:00:00Z', `schedule = '*/15 * * * *'`);
    await runs(capsules.late, 900_000, 13);
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  /** The brute force: every slot since the capsule's creation and every one of its runs. */
  async function everything(id: number): Promise<LedgerEntry[]> {
    const periods = await repository.definitionPeriods(id);
    const all = await ds.query(`SELECT id, status, started_at FROM capsule_runs WHERE capsule_id = $1`, [id]);
    const runRows: SlotRun[] = all.map((r: { id: string; status: string; started_at: Date }) => ({
      id: String(r.id),
      status: r.status,
      startedAt: r.started_at,
    }));
    const from = new Date('2026-10-01T00:00:00Z');
    const to = new Date(now.getTime() + 1);
    const { slots: points, truncated } = slotsAround(periods, from, to, 1_000_000);
    expect(truncated).toBe(false);
    return ledger(points, runRows, { from, to, now });
  }

  const count = (entries: LedgerEntry[]) =>
    entries.reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.outcome]: (acc[e.outcome] ?? 0) + 1 }), {});

  it.each(['daily', 'hourly', 'late-schedule'])(
    '%s: uptime over windows equals the brute-force count',
    async (name) => {
      const id = capsules[name];
      const all = await everything(id);
      for (const days of [1, 7, 30, 45]) {
        const from = new Date(now.getTime() - days * 86_400_000);
        const to = new Date(now.getTime() + 1);
        const expected = count(all.filter((e) => e.at >= from && e.at < to));
        const counted = await slots.counts(id, from, to);
        expect(Object.fromEntries(Object.entries(counted).filter(([, n]) => n > 0))).toEqual(expected);
      }
    },
  );

  it.each(['daily', 'hourly'])('%s: pages of a range concatenate to the brute-force ledger', async (name) => {
    const id = capsules[name];
    const from = new Date('2026-11-25T00:00:00Z');
    const to = new Date('2026-12-15T00:00:00Z');
    const expected = (await everything(id)).filter((e) => e.at >= from && e.at < to).reverse();
    const paged: LedgerEntry[] = [];
    let after: { at: Date; seq: number } | undefined;
    for (;;) {
      const page = await slots.page(id, { from, to }, 37, after);
      paged.push(...page.entries);
      if (!page.more) break;
      after = ledgerPosition(page.entries.at(-1)!);
    }
    const key = (e: LedgerEntry) => `${e.at.toISOString()} ${e.outcome} ${e.run?.id ?? '-'}`;
    expect(paged.map(key)).toEqual(expected.map(key));
  });

  it('slots start when the capsule got its schedule and pause while it was archived', async () => {
    const late = await everything(capsules.late);
    const firstSlot = late.find((e) => e.outcome !== 'extra')!;
    // The schedule was set at 00:00 exactly: that fire time is its first slot.
    expect(firstSlot.at.toISOString()).toBe('2026-11-05T00:00:00.000Z');
    expect(late.filter((e) => e.at < new Date('2026-11-05T00:00:00Z')).every((e) => e.outcome === 'extra')).toBe(true);
    const all = await everything(capsules.daily);
    const first = all.find((e) => e.outcome !== 'extra')!;
    expect(first.at.toISOString()).toBe('2026-10-20T04:00:00.000Z'); // 06:00 in Paris (CEST) the day it was made
    const paused = all.filter((e) => e.outcome === 'paused').map((e) => e.at.toISOString());
    expect(paused).toEqual(['2026-12-10T17:00:00.000Z', '2026-12-11T17:00:00.000Z']);
  });

  describe('kept by the slot closer', () => {
    /** Closer passes until nothing is due (a long history takes several chunks). */
    async function closeAll(): Promise<void> {
      for (let i = 0; i < 50; i++) {
        if ((await closer.pass()) !== 20) return;
      }
      throw new Error('the closer never finished');
    }

    /** The stored slots and the slot rollups equal the brute-force ledger's settled slots. */
    async function expectStoredLikeBruteForce(id: number): Promise<void> {
      const settled = (await everything(id)).filter((e) => !['extra', 'pending'].includes(e.outcome));
      const stored = await ds.query(`SELECT at, outcome, run_id FROM capsule_slots WHERE capsule_id = $1 ORDER BY at`, [
        id,
      ]);
      const key = (at: Date, outcome: string, run: string | null) => `${at.toISOString()} ${outcome} ${run ?? '-'}`;
      expect(
        stored.map((r: { at: Date; outcome: string; run_id: string | null }) => key(r.at, r.outcome, r.run_id)),
      ).toEqual(settled.map((e) => key(e.at, e.outcome, e.run?.id ?? null)));
      const totals = count(settled);
      const [all] = await ds.query(
        `SELECT on_time, late, missed, paused FROM capsule_slot_rollups
         WHERE capsule_id = $1 AND grain = 'all'`,
        [id],
      );
      const withZeros = { on_time: 0, late: 0, missed: 0, paused: 0, ...totals };
      expect(all).toEqual(withZeros);
      const [byRevision] = await ds.query(
        `SELECT sum(on_time)::int AS on_time, sum(late)::int AS late, sum(missed)::int AS missed,
                sum(paused)::int AS paused
         FROM capsule_slot_revision_rollups WHERE capsule_id = $1`,
        [id],
      );
      expect(byRevision).toEqual(withZeros);
      // Day rows: each day's counts, by the slot's UTC day.
      const days = await ds.query(
        `SELECT bucket_start, on_time + late + missed + paused AS n FROM capsule_slot_rollups
         WHERE capsule_id = $1 AND grain = 'day' AND on_time + late + missed + paused > 0 ORDER BY bucket_start`,
        [id],
      );
      const perDay = new Map<string, number>();
      for (const e of settled) {
        const day = e.at.toISOString().slice(0, 10);
        perDay.set(day, (perDay.get(day) ?? 0) + 1);
      }
      expect(
        days.map((d: { bucket_start: Date; n: number }) => [d.bucket_start.toISOString().slice(0, 10), d.n]),
      ).toEqual([...perDay.entries()]);
    }

    it('stores every settled slot as the brute-force ledger has it, in chunks, with its rollups', async () => {
      await closeAll();
      for (const name of ['daily', 'hourly', 'late']) await expectStoredLikeBruteForce(capsules[name]);
    });

    it('a backfilled run settles a closed slot again; a duplicate in a settled window wakes nothing', async () => {
      const id = capsules.hourly;
      const missed = (await everything(id)).filter((e) => e.outcome === 'missed').at(-1)!;
      await ds.query(
        `INSERT INTO capsule_runs (capsule_id, actor, status, started_at) VALUES ($1, 'backfill', 'running', $2)`,
        [id, new Date(missed.at.getTime() + 30 * 60_000)],
      );
      const [mark] = await ds.query(`SELECT stale_from FROM capsule_slot_marks WHERE capsule_id = $1`, [id]);
      expect(mark.stale_from).toEqual(new Date(missed.at.getTime() + 30 * 60_000));
      await closeAll();
      const [slot] = await ds.query(`SELECT outcome FROM capsule_slots WHERE capsule_id = $1 AND at = $2`, [
        id,
        missed.at,
      ]);
      expect(slot.outcome).toBe('late');
      await expectStoredLikeBruteForce(id);
    });

    it('waits for a run in flight before it settles the open slot, then stores it', async () => {
      const id = capsules.daily;
      // The 18:00 Paris slot of the 19th (17:00 UTC) is open until the next; a run of it is in flight.
      const slotAt = new Date('2026-12-19T17:00:00Z');
      await ds.query(`DELETE FROM capsule_runs WHERE capsule_id = $1 AND started_at >= $2`, [id, slotAt]);
      await closeAll();
      const writer = ds.createQueryRunner();
      await writer.connect();
      await writer.startTransaction();
      await writer.query(
        `INSERT INTO capsule_runs (capsule_id, actor, status, started_at) VALUES ($1, 'cron', 'running', '2026-12-19T17:01:00Z')`,
        [id],
      );
      let closed = false;
      const closing = closer.close(id, now).then((result) => {
        closed = true;
        return result;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(closed).toBe(false); // waiting for the writer
      await writer.commitTransaction();
      await writer.release();
      expect(await closing).toBe('done');
      const [slot] = await ds.query(`SELECT outcome FROM capsule_slots WHERE capsule_id = $1 AND at = $2`, [
        id,
        slotAt,
      ]);
      expect(slot.outcome).toBe('on_time');
      await expectStoredLikeBruteForce(id);
      // Another run of the same window is a duplicate: the capsule is not due for it.
      await ds.query(
        `INSERT INTO capsule_runs (capsule_id, actor, status, started_at) VALUES ($1, 'cron', 'running', '2026-12-20T09:00:00Z')`,
        [id],
      );
      const outcomes = new SlotOutcomesRepository(new Database(ds));
      expect(await outcomes.due(now, 100)).not.toContain(id);
    });
  });
});
