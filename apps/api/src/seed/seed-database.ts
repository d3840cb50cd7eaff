import type { DataSource } from 'typeorm';
import { Database, type Queries, sql } from '@app/database';
import { SAMPLE_CAPSULES, type SampleCapsule } from './sample-capsules';
import { generateRuns, seedWindow, type SeedOptions, type SeedRun, type SeedWindow } from './seed-runs';

const DAY_MS = 86_400_000;
/** Rows per INSERT of runs (one jsonb parameter each; the rollup triggers run once per statement). */
const RUN_BATCH = 2_000;
/** Who the capsule version history names for the seed's registrations. */
const CHANGED_BY = 'seed';

export interface SeedResult {
  window: SeedWindow;
  capsules: { inserted: number; updated: number; unchanged: number };
  runs: { generated: number; inserted: number; alreadyPresent: number };
}

/**
 * Loads the sample capsules and their generated run history, in one
 * transaction, with plain SQL:
 *  - capsules are upserted by slug; a capsule whose definition already
 *    matches is not touched (no new version, `updated_at` stays). A new
 *    capsule is dated some weeks before the window, so its history does not
 *    predate it;
 *  - runs are inserted with `ON CONFLICT (run_key) … DO NOTHING`: each carries
 *    a `seed:<slug>:<instant>` key, so seeding again inserts nothing twice.
 * The rollups are left to the triggers on capsule_runs. Returns the counts.
 */
export async function seedDatabase(
  dataSource: DataSource,
  options: SeedOptions,
  capsules: readonly SampleCapsule[] = SAMPLE_CAPSULES,
): Promise<SeedResult> {
  const window = seedWindow(options.now, options.days);
  const runs = generateRuns(capsules, options);
  return new Database(dataSource).transaction(async (manager) => {
    await manager.rows(sql`SELECT set_config('capsules.changed_by', ${CHANGED_BY}, true)`);
    const capsuleCounts = await upsertCapsules(manager, capsules, window);
    let inserted = 0;
    for (let i = 0; i < runs.length; i += RUN_BATCH) {
      inserted += await insertRuns(manager, runs.slice(i, i + RUN_BATCH));
    }
    return {
      window,
      capsules: capsuleCounts,
      runs: { generated: runs.length, inserted, alreadyPresent: runs.length - inserted },
    };
  });
}

async function upsertCapsules(
  manager: Queries,
  capsules: readonly SampleCapsule[],
  window: SeedWindow,
): Promise<SeedResult['capsules']> {
  const rows = capsules.map(({ definition }, index) => ({
    ...definition,
    // Registered 60 to 33 days before the window: older capsules first.
    created_at: new Date(window.start.getTime() - (60 - 3 * index) * DAY_MS).toISOString(),
  }));
  const changed = await manager.rows<{ inserted: boolean }>(
    sql`INSERT INTO capsules AS c
       (slug, title, kind, mode, version, status, entrypoint, schedule, timezone,
        grace_seconds, max_runtime_seconds, tags, created_at, updated_at)
     SELECT slug, title, kind, mode, version, status, entrypoint, schedule, timezone,
            grace_seconds, max_runtime_seconds, tags, created_at, created_at
     FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(
       slug text, title text, kind text, mode text, version text, status text, entrypoint text,
       schedule text, timezone text, grace_seconds integer, max_runtime_seconds integer, tags text[],
       created_at timestamptz)
     ON CONFLICT (slug) DO UPDATE SET
       title = EXCLUDED.title, kind = EXCLUDED.kind, mode = EXCLUDED.mode, version = EXCLUDED.version,
       status = EXCLUDED.status, entrypoint = EXCLUDED.entrypoint, schedule = EXCLUDED.schedule,
       timezone = EXCLUDED.timezone, grace_seconds = EXCLUDED.grace_seconds,
       max_runtime_seconds = EXCLUDED.max_runtime_seconds, tags = EXCLUDED.tags, updated_at = now()
     WHERE capsule_definition(c) IS DISTINCT FROM capsule_definition(EXCLUDED)
     RETURNING (xmax = 0) AS inserted`,
  );
  const inserted = changed.filter((row) => row.inserted).length;
  const updated = changed.length - inserted;
  return { inserted, updated, unchanged: capsules.length - changed.length };
}

/** Inserts the runs whose run_key is not taken yet; returns how many it inserted. */
async function insertRuns(manager: Queries, runs: readonly SeedRun[]): Promise<number> {
  const rows = runs.map((run) => ({
    slug: run.capsuleSlug,
    run_key: run.runKey,
    actor: run.actor,
    status: run.status,
    started_at: run.startedAt.toISOString(),
    completed_at: run.completedAt.toISOString(),
    exit_code: run.exitCode,
    message: run.message,
    artifact_uri: run.artifactUri,
    checksum: run.checksum,
  }));
  const [result] = await manager.rows<{ inserted: number }>(
    sql`WITH added AS (
       INSERT INTO capsule_runs
         (capsule_id, capsule_revision, actor, status, started_at, completed_at,
          exit_code, message, artifact_uri, checksum, run_key)
       SELECT c.id, c.revision, x.actor, x.status, x.started_at, x.completed_at,
              x.exit_code, x.message, x.artifact_uri, x.checksum, x.run_key
       FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(
         slug text, run_key text, actor text, status text, started_at timestamptz, completed_at timestamptz,
         exit_code integer, message text, artifact_uri text, checksum text)
       JOIN capsules c ON c.slug = x.slug
       ORDER BY x.started_at, x.run_key
       ON CONFLICT (run_key) WHERE run_key IS NOT NULL DO NOTHING
       RETURNING 1
     ) SELECT count(*)::int AS inserted FROM added`,
  );
  return result?.inserted ?? 0;
}
