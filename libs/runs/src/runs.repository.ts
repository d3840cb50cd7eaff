import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { TimeIdPosition } from '@app/common';
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
}

export interface RunFilter {
  capsuleSlug?: string;
  statuses?: RunStatus[];
  actor?: string;
  kind?: string;
  startedAfter?: Date;
  startedBefore?: Date;
  after?: TimeIdPosition;
}

@Injectable()
export class RunsRepository {
  constructor(@InjectRepository(RunEntity) private readonly runs: Repository<RunEntity>) {}

  /**
   * One round trip: the capsule is looked up inside the INSERT, so an unknown
   * slug inserts nothing and returns no row. Missing instants default to the
   * database's now(): a finished run without times finished now; one with only
   * `started_at` finished now (or at its start, if that is later).
   */
  async insert(run: NewRun): Promise<RunRow | undefined> {
    const rows: RunRow[] = await this.runs.query(
      `INSERT INTO capsule_runs
         (capsule_id, actor, status, started_at, completed_at, artifact_uri, checksum, exit_code, message)
       SELECT c.id, $2, $3,
              COALESCE($4::timestamptz, $5::timestamptz, now()),
              CASE WHEN $3 = 'running' THEN NULL
                   ELSE COALESCE($5::timestamptz, GREATEST(now(), $4::timestamptz)) END,
              $6, $7, $8, $9
       FROM capsules c WHERE c.slug = $1
       RETURNING *, $1::text AS capsule_slug`,
      [
        run.capsuleSlug,
        run.actor,
        run.status,
        run.startedAt,
        run.completedAt,
        run.artifactUri,
        run.checksum,
        run.exitCode,
        run.message,
      ],
    );
    return rows[0];
  }

  /** Newest first, (started_at DESC, id DESC); asks for one row more than `limit`. */
  list(filter: RunFilter, limit: number): Promise<RunRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.capsuleSlug !== undefined) where.push(`c.slug = ${param(filter.capsuleSlug)}`);
    if (filter.statuses?.length) where.push(`r.status = ANY(${param(filter.statuses)}::text[])`);
    if (filter.actor !== undefined) where.push(`r.actor = ${param(filter.actor)}`);
    if (filter.kind !== undefined) where.push(`c.kind = ${param(filter.kind)}`);
    if (filter.startedAfter) where.push(`r.started_at >= ${param(filter.startedAfter)}`);
    if (filter.startedBefore) where.push(`r.started_at < ${param(filter.startedBefore)}`);
    if (filter.after) {
      where.push(`(r.started_at, r.id) < (${param(filter.after.at)}::timestamptz, ${param(filter.after.id)}::bigint)`);
    }
    return this.runs.query(
      `SELECT r.*, c.slug AS capsule_slug
       FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY r.started_at DESC, r.id DESC
       LIMIT ${param(limit + 1)}`,
      params,
    );
  }
}
