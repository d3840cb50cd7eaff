import { Injectable } from '@nestjs/common';
import type { TimeIdPosition } from '@app/common';
import {
  type BudgetedRow,
  budgetedRows,
  Database,
  jsonBytesBound,
  PAGE_BYTE_BUDGET,
  type Queries,
  sql,
  type Sql,
  withByteBudget,
} from '@app/database';
import type { RunRow, RunStatus } from './run.entity';

export interface NewRun {
  capsuleSlug: string;
  actor: string;
  status: RunStatus;
  startedAt: Date | null;
  completedAt: Date | null;
  artifactUri: string | null;
  checksum: string | null;
  exitCode: number | null;
  message: string | null;
  runKey: string | null;
  requestHash: string | null;
}

export interface RunChanges {
  status?: RunStatus;
  completedAt?: Date;
  exitCode?: number;
  message?: string;
  artifactUri?: string;
  checksum?: string;
}

export interface RunFilter {
  capsuleSlug?: string;
  statuses?: RunStatus[];
  actor?: string;
  kind?: string;
  checksum?: string;
  startedAfter?: Date;
  startedBefore?: Date;
  after?: TimeIdPosition;
}

const RUN_COLUMNS = sql.raw(`r.id, r.capsule_id, r.actor, r.status, r.started_at, r.completed_at, r.duration_ms,
  r.artifact_uri, r.checksum, r.exit_code, r.message, r.run_key, r.capsule_revision`);

/**
 * Upper bound of a run's JSON: 400 bytes for keys, numbers and instants; `actor` and `message` may
 * hold control characters (6×), `artifact_uri`, `checksum` and `run_key` may not (2×).
 */
const RUN_JSON_BOUND = jsonBytesBound(400, [
  ['p.actor', 6],
  ['p.message', 6],
  ['p.artifact_uri', 2],
  ['p.checksum', 2],
  ['p.run_key', 2],
  ['p.capsule_slug', 1],
]);

/** What a report's INSERT did; a report that inserted nothing says why. */
export type InsertRunResult =
  | { outcome: 'inserted'; run: RunRow }
  /** The run key was taken: the run it names, with the fingerprint of its report. */
  | { outcome: 'key-taken'; existing: RunRow & { request_hash: string | null } }
  | { outcome: 'capsule-not-found' };

/** What a finish did; a finish that changed nothing says why. */
export type UpdateRunResult =
  | { outcome: 'updated'; run: RunRow }
  | { outcome: 'not-found' }
  /** The run had finished already; as it is. */
  | { outcome: 'finished'; run: RunRow }
  /** The run is running, and completed_at would precede its start. */
  | { outcome: 'completed-before-start'; run: RunRow };

@Injectable()
export class RunsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Many reports in one statement (a batch, or reports coalesced by the group commit), in the
   * caller's transaction: each row's id is drawn with its item, so every item learns what became
   * of it, in input order. Same rules as `insert` per item; a run key taken earlier, or by an
   * earlier item of the same batch, inserts nothing and answers with the run that has it.
   */
  async insertMany(tx: Queries, runs: readonly NewRun[]): Promise<InsertRunResult[]> {
    const column = <T>(pick: (run: NewRun) => T) => runs.map(pick);
    const rows = await tx.prepared<RunRow & { ord: string; inserted: boolean }>(
      'capsules:insert-runs',
      sql`WITH input AS MATERIALIZED (
            SELECT u.*, nextval(pg_get_serial_sequence('capsule_runs', 'id')) AS id
            FROM unnest(${column((r) => r.capsuleSlug)}::text[], ${column((r) => r.actor)}::text[],
                        ${column((r) => r.status)}::text[], ${column((r) => r.startedAt)}::timestamptz[],
                        ${column((r) => r.completedAt)}::timestamptz[], ${column((r) => r.artifactUri)}::text[],
                        ${column((r) => r.checksum)}::text[], ${column((r) => r.exitCode)}::int[],
                        ${column((r) => r.message)}::text[], ${column((r) => r.runKey)}::text[],
                        ${column((r) => r.requestHash)}::text[])
                 WITH ORDINALITY AS u(slug, actor, status, started_at, completed_at, artifact_uri, checksum,
                                      exit_code, message, run_key, request_hash, ord)
          ),
          inserted AS (
            INSERT INTO capsule_runs AS r
              (id, capsule_id, capsule_revision, actor, status, started_at, completed_at,
               artifact_uri, checksum, exit_code, message, run_key, request_hash)
            OVERRIDING SYSTEM VALUE
            SELECT i.id, c.id, c.revision, i.actor, i.status,
                   COALESCE(i.started_at, i.completed_at, now()),
                   CASE WHEN i.status = 'running' THEN NULL
                        ELSE COALESCE(i.completed_at, GREATEST(now(), i.started_at)) END,
                   i.artifact_uri, i.checksum, i.exit_code, i.message, i.run_key, i.request_hash
            FROM input i JOIN capsules c ON c.slug = i.slug
            ORDER BY i.ord
            ON CONFLICT (run_key) WHERE run_key IS NOT NULL DO NOTHING
            RETURNING ${RUN_COLUMNS}
          )
          SELECT i.ord::text AS ord, r.id IS NOT NULL AS inserted, r.id, r.capsule_id, r.actor, r.status, r.started_at,
                 r.completed_at, r.duration_ms, r.artifact_uri, r.checksum, r.exit_code, r.message, r.run_key,
                 r.capsule_revision, i.slug AS capsule_slug
          FROM input i LEFT JOIN inserted r ON r.id = i.id
          ORDER BY i.ord`,
    );
    // A run key is taken when a run had it before this statement, or an earlier item of it has
    // it; an item whose key only a later item took failed for its own reason (its capsule).
    const ordinalOf = new Map(rows.filter((row) => row.inserted).map((row) => [String(row.id), Number(row.ord)]));
    const missedKeys = rows.filter((row) => !row.inserted).map((row) => runs[Number(row.ord) - 1].runKey);
    const taken = new Map<string, RunRow & { request_hash: string | null }>();
    if (missedKeys.some((key) => key !== null)) {
      const existing = await tx.rows<RunRow & { request_hash: string | null }>(
        sql`SELECT ${RUN_COLUMNS}, r.request_hash, c.slug AS capsule_slug
            FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id
            WHERE r.run_key = ANY(${missedKeys.filter((key) => key !== null)}::text[])`,
      );
      for (const run of existing) taken.set(run.run_key!, run);
    }
    return rows.map(({ ord, inserted, ...run }): InsertRunResult => {
      if (inserted) return { outcome: 'inserted', run };
      const key = runs[Number(ord) - 1].runKey;
      const existing = key === null ? undefined : taken.get(key);
      const holder = existing && ordinalOf.get(String(existing.id));
      if (!existing || (holder !== undefined && holder > Number(ord))) return { outcome: 'capsule-not-found' };
      return { outcome: 'key-taken', existing };
    });
  }

  findById(id: string, tx: Queries = this.db): Promise<RunRow | undefined> {
    return tx.first<RunRow>(
      sql`SELECT ${RUN_COLUMNS}, c.slug AS capsule_slug FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id
          WHERE r.id = ${id}`,
    );
  }

  /**
   * Applies changes to a run that is still running, in one statement; the
   * row lock of the UPDATE serialises concurrent finishes (the second sees
   * the run finished and changes nothing). When nothing changed, reads the
   * run to say why.
   */
  async updateRunning(tx: Queries, id: string, changes: RunChanges): Promise<UpdateRunResult> {
    const status = sql.value(changes.status ?? null);
    const completedAt = sql.value(changes.completedAt ?? null);
    const [run] = await tx.rows<RunRow>(
      sql`UPDATE capsule_runs AS r SET
            status = COALESCE(${status}, r.status),
            completed_at = CASE WHEN COALESCE(${status}, r.status) = 'running' THEN NULL
                                ELSE COALESCE(${completedAt}::timestamptz, GREATEST(now(), r.started_at)) END,
            exit_code = COALESCE(${changes.exitCode ?? null}, r.exit_code),
            message = COALESCE(${changes.message ?? null}, r.message),
            artifact_uri = COALESCE(${changes.artifactUri ?? null}, r.artifact_uri),
            checksum = COALESCE(${changes.checksum ?? null}, r.checksum)
          FROM capsules c
          WHERE r.id = ${id} AND r.status = 'running' AND c.id = r.capsule_id
            AND (${completedAt}::timestamptz IS NULL OR ${completedAt}::timestamptz >= r.started_at)
          RETURNING ${RUN_COLUMNS}, c.slug AS capsule_slug`,
    );
    if (run) return { outcome: 'updated', run };
    const current = await this.findById(id, tx);
    if (!current) return { outcome: 'not-found' };
    // Still running, so the UPDATE refused the instant.
    return current.status === 'running'
      ? { outcome: 'completed-before-start', run: current }
      : { outcome: 'finished', run: current };
  }

  /** Newest first, (started_at DESC, id DESC); asks for one row more than `limit`. */
  async list(filter: RunFilter, limit: number): Promise<{ rows: RunRow[]; cut: boolean }> {
    const where: Sql[] = [];
    // The capsule's id is looked up first (an InitPlan), so the planner walks that capsule's
    // (capsule_id, started_at, id) index instead of filtering the global newest-first index.
    if (filter.capsuleSlug !== undefined) {
      where.push(sql`r.capsule_id = (SELECT id FROM capsules WHERE slug = ${filter.capsuleSlug})`);
    }
    if (filter.statuses?.length) where.push(sql`r.status = ANY(${filter.statuses}::text[])`);
    if (filter.actor !== undefined) where.push(sql`r.actor = ${filter.actor}`);
    if (filter.kind !== undefined) where.push(sql`c.kind = ${filter.kind}`);
    if (filter.checksum !== undefined) where.push(sql`checksum_key(r.checksum) = checksum_key(${filter.checksum})`);
    if (filter.startedAfter) where.push(sql`r.started_at >= ${filter.startedAfter}`);
    if (filter.startedBefore) where.push(sql`r.started_at < ${filter.startedBefore}`);
    if (filter.after) {
      where.push(sql`(r.started_at, r.id) < (${filter.after.at}::timestamptz, ${filter.after.id}::bigint)`);
    }
    const rows = await this.db.rows<BudgetedRow<RunRow>>(
      withByteBudget(
        sql`SELECT ${RUN_COLUMNS}, c.slug AS capsule_slug
            FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id
            ${sql.where(where)}
            ORDER BY r.started_at DESC, r.id DESC
            LIMIT ${limit + 1}`,
        'started_at DESC, id DESC',
        RUN_JSON_BOUND,
        PAGE_BYTE_BUDGET,
      ),
    );
    return budgetedRows(rows);
  }

  /** The newest run of a capsule that recorded an artifact. */
  latestArtifact(capsuleId: number, capsuleSlug: string): Promise<RunRow | undefined> {
    return this.db.first<RunRow>(
      sql`SELECT ${RUN_COLUMNS}, ${capsuleSlug}::text AS capsule_slug FROM capsule_runs r
          WHERE r.capsule_id = ${capsuleId} AND r.artifact_uri IS NOT NULL
          ORDER BY r.started_at DESC, r.id DESC LIMIT 1`,
    );
  }
}
