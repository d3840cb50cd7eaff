import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { Repository } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { TimeIdPosition } from '@app/common';
import { type BudgetedRow, budgetedRows, jsonBytesBound, PAGE_BYTE_BUDGET, withByteBudget } from '@app/database';
import { RunEntity, type RunRow, type RunStatus } from './run.entity';

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

const RUN_COLUMNS = `r.id, r.capsule_id, r.actor, r.status, r.started_at, r.completed_at, r.duration_ms,
  r.artifact_uri, r.checksum, r.exit_code, r.message, r.run_key, r.capsule_revision`;

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

const INSERT_RUN = `INSERT INTO capsule_runs AS r
    (capsule_id, capsule_revision, actor, status, started_at, completed_at,
     artifact_uri, checksum, exit_code, message, run_key, request_hash)
  SELECT c.id, c.revision, $2, $3,
         COALESCE($4::timestamptz, $5::timestamptz, now()),
         CASE WHEN $3 = 'running' THEN NULL
              ELSE COALESCE($5::timestamptz, GREATEST(now(), $4::timestamptz)) END,
         $6, $7, $8, $9, $10, $11
  FROM capsules c WHERE c.slug = $1
  ON CONFLICT (run_key) WHERE run_key IS NOT NULL DO NOTHING
  RETURNING ${RUN_COLUMNS}, $1::text AS capsule_slug`;

@Injectable()
export class RunsRepository {
  constructor(@InjectRepository(RunEntity) private readonly runs: Repository<RunEntity>) {}

  /**
   * One round trip: the capsule is looked up inside the INSERT (an unknown
   * slug inserts nothing), and a run_key already taken inserts nothing either
   * (the unique index decides, also between concurrent retries). Missing
   * instants default to the database's now(): a finished run without times
   * finished now; one with only `started_at` finished now (or at its start).
   */
  async insert(run: NewRun): Promise<RunRow | undefined> {
    // The hot path: a named (prepared) statement straight on the driver's pool, planned once
    // per connection instead of at every report.
    const { rows } = await this.pool().query<RunRow>({
      name: 'capsules:insert-run',
      text: INSERT_RUN,
      values: [
        run.capsuleSlug,
        run.actor,
        run.status,
        run.startedAt,
        run.completedAt,
        run.artifactUri,
        run.checksum,
        run.exitCode,
        run.message,
        run.runKey,
        run.requestHash,
      ],
    });
    return rows[0];
  }

  private pool(): Pool {
    return (this.runs.manager.connection.driver as PostgresDriver).master as Pool;
  }

  async findById(id: string): Promise<RunRow | undefined> {
    const rows: RunRow[] = await this.runs.query(
      `SELECT ${RUN_COLUMNS}, c.slug AS capsule_slug FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id
       WHERE r.id = $1`,
      [id],
    );
    return rows[0];
  }

  async findByRunKey(runKey: string): Promise<RunRow | undefined> {
    const rows: RunRow[] = await this.runs.query(
      `SELECT ${RUN_COLUMNS}, r.request_hash, c.slug AS capsule_slug
       FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id WHERE r.run_key = $1`,
      [runKey],
    );
    return rows[0];
  }

  /**
   * Applies changes to a run that is still running, in one statement; the
   * row lock of the UPDATE serialises concurrent finishes (the second sees
   * the run finished and changes nothing). Undefined when the run is not
   * running (or does not exist), or completed_at would precede started_at.
   */
  async updateRunning(id: string, changes: RunChanges): Promise<RunRow | undefined> {
    const rows: RunRow[] = await this.runs.query(
      `WITH changed AS (
       UPDATE capsule_runs AS r SET
         status = COALESCE($2, r.status),
         completed_at = CASE WHEN COALESCE($2, r.status) = 'running' THEN NULL
                             ELSE COALESCE($3::timestamptz, GREATEST(now(), r.started_at)) END,
         exit_code = COALESCE($4, r.exit_code),
         message = COALESCE($5, r.message),
         artifact_uri = COALESCE($6, r.artifact_uri),
         checksum = COALESCE($7, r.checksum)
       FROM capsules c
       WHERE r.id = $1 AND r.status = 'running' AND c.id = r.capsule_id
         AND ($3::timestamptz IS NULL OR $3::timestamptz >= r.started_at)
       RETURNING ${RUN_COLUMNS}, c.slug AS capsule_slug
       ) SELECT * FROM changed`,
      [
        id,
        changes.status ?? null,
        changes.completedAt ?? null,
        changes.exitCode ?? null,
        changes.message ?? null,
        changes.artifactUri ?? null,
        changes.checksum ?? null,
      ],
    );
    return rows[0];
  }

  /** Newest first, (started_at DESC, id DESC); asks for one row more than `limit`. */
  async list(filter: RunFilter, limit: number): Promise<{ rows: RunRow[]; cut: boolean }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    // The capsule's id is looked up first (an InitPlan), so the planner walks that capsule's
    // (capsule_id, started_at, id) index instead of filtering the global newest-first index.
    if (filter.capsuleSlug !== undefined) {
      where.push(`r.capsule_id = (SELECT id FROM capsules WHERE slug = ${param(filter.capsuleSlug)})`);
    }
    if (filter.statuses?.length) where.push(`r.status = ANY(${param(filter.statuses)}::text[])`);
    if (filter.actor !== undefined) where.push(`r.actor = ${param(filter.actor)}`);
    if (filter.kind !== undefined) where.push(`c.kind = ${param(filter.kind)}`);
    if (filter.checksum !== undefined) where.push(`checksum_key(r.checksum) = checksum_key(${param(filter.checksum)})`);
    if (filter.startedAfter) where.push(`r.started_at >= ${param(filter.startedAfter)}`);
    if (filter.startedBefore) where.push(`r.started_at < ${param(filter.startedBefore)}`);
    if (filter.after) {
      where.push(`(r.started_at, r.id) < (${param(filter.after.at)}::timestamptz, ${param(filter.after.id)}::bigint)`);
    }
    const page = `SELECT ${RUN_COLUMNS}, c.slug AS capsule_slug
       FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY r.started_at DESC, r.id DESC
       LIMIT ${param(limit + 1)}`;
    const rows = await this.runs.query<BudgetedRow<RunRow>[]>(
      withByteBudget(page, 'started_at DESC, id DESC', RUN_JSON_BOUND, param(PAGE_BYTE_BUDGET)),
      params,
    );
    return budgetedRows(rows);
  }

  /** The newest run of a capsule that recorded an artifact. */
  async latestArtifact(capsuleId: number, capsuleSlug: string): Promise<RunRow | undefined> {
    const rows: RunRow[] = await this.runs.query(
      `SELECT ${RUN_COLUMNS}, $2::text AS capsule_slug FROM capsule_runs r
       WHERE r.capsule_id = $1 AND r.artifact_uri IS NOT NULL
       ORDER BY r.started_at DESC, r.id DESC LIMIT 1`,
      [capsuleId, capsuleSlug],
    );
    return rows[0];
  }
}
