import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AlertsService, type ReportedRun } from '@app/alerts';
import { CapsuleNotFoundError, CapsulesService } from '@app/capsules';
import {
  Clock,
  decodeCursor,
  type FieldError,
  keysetPage,
  type Page,
  type PageQueryDto,
  pageSize,
  readTimeIdPosition,
  RequestValidationError,
  toInstant,
} from '@app/common';
import { Database, FINAL_RUN_STATUSES, statusList } from '@app/database';
import type { ArtifactsQueryDto } from './dto/artifact.dto';
import type { FinishRunDto } from './dto/finish-run.dto';
import { RUN_PAGE, type ListRunsQueryDto } from './dto/list-runs-query.dto';
import type { RecordRunDto } from './dto/record-run.dto';
import { RUN_KEY_PATTERN } from './dto/run-validators';
import type { RunRow } from './run.entity';
import { ArtifactNotFoundError, RunAlreadyFinishedError, RunKeyConflictError, RunNotFoundError } from './run.errors';
import { type RunFilter, RunsRepository } from './runs.repository';

/** How far ahead of the server's clock a reported instant may be (clock skew). */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface RecordedRun {
  run: RunRow;
  /** True when a retried report returned the run recorded the first time. */
  replayed: boolean;
}

@Injectable()
export class RunsService {
  constructor(
    private readonly runs: RunsRepository,
    private readonly capsules: CapsulesService,
    private readonly alerts: AlertsService,
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Records a run. With a run key (body `run_key` or the Idempotency-Key
   * header) a retry returns the run recorded first; the same key with another
   * capsule or payload is a 409.
   */
  async record(input: RecordRunDto, idempotencyKey?: string): Promise<RecordedRun> {
    const runKey = this.runKey(input.run_key, idempotencyKey);
    const status = input.status ?? 'success';
    const startedAt = input.started_at ? toInstant(input.started_at) : null;
    const completedAt = input.completed_at ? toInstant(input.completed_at) : null;
    this.checkInstants(status, startedAt, completedAt);
    const requestHash = runKey ? fingerprint(input, status, startedAt, completedAt) : null;
    // The run and the flips it causes commit together (or not at all); the capsule's alert row is
    // locked first, so a detector pass at the deadline cannot overtake the report.
    const result = await this.db.transaction(async (tx) => {
      const alertState = await this.alerts.lockForReport(tx, { slug: input.capsule_slug });
      const inserted = await this.runs.insert(tx, {
        capsuleSlug: input.capsule_slug,
        actor: input.actor,
        status,
        startedAt,
        completedAt,
        artifactUri: input.artifact_uri ?? null,
        checksum: input.checksum ?? null,
        exitCode: input.exit_code ?? null,
        message: input.message ?? null,
        runKey,
        requestHash,
      });
      if (inserted.outcome === 'inserted') await this.alerts.onRunReported(tx, reported(inserted.run), alertState);
      return inserted;
    });
    switch (result.outcome) {
      case 'inserted':
        return { run: result.run, replayed: false };
      case 'key-taken': {
        const { request_hash: storedHash, ...existing } = result.existing;
        if (storedHash !== requestHash) throw new RunKeyConflictError(runKey!, Number(existing.id));
        return { run: existing, replayed: true };
      }
      case 'capsule-not-found':
        throw new CapsuleNotFoundError(input.capsule_slug);
    }
  }

  async get(id: string): Promise<RunRow> {
    const run = isRunId(id) ? await this.runs.findById(id) : undefined;
    if (!run) throw new RunNotFoundError(id);
    return run;
  }

  /**
   * Finishes a running run (or adds details while it runs). A finished run
   * accepts the same outcome again (a retried report: 200, unchanged) and
   * rejects another one (409).
   */
  async finish(id: string, input: FinishRunDto): Promise<RunRow> {
    const completedAt = input.completed_at ? toInstant(input.completed_at) : undefined;
    const errors = this.futureInstants({ completed_at: completedAt });
    if (completedAt && (input.status === undefined || input.status === 'running')) {
      errors.push({
        field: 'completed_at',
        message: `completed_at needs a final status (${statusList(FINAL_RUN_STATUSES)})`,
      });
    }
    if (errors.length) throw new RequestValidationError(errors);
    if (!isRunId(id)) throw new RunNotFoundError(id);

    const updated = await this.db.transaction(async (tx) => {
      const alertState = await this.alerts.lockForReport(tx, { runId: id });
      const result = await this.runs.updateRunning(tx, id, {
        status: input.status,
        completedAt,
        exitCode: input.exit_code,
        message: input.message,
        artifactUri: input.artifact_uri,
        checksum: input.checksum,
      });
      if (result.outcome === 'updated') await this.alerts.onRunReported(tx, reported(result.run), alertState);
      return result;
    });
    switch (updated.outcome) {
      case 'updated':
        return updated.run;
      case 'not-found':
        throw new RunNotFoundError(id);
      case 'completed-before-start':
        throw new RequestValidationError([
          { field: 'completed_at', message: 'completed_at must not be before started_at' },
        ]);
      case 'finished':
        if (!isSameOutcome(updated.run, input, completedAt)) {
          throw new RunAlreadyFinishedError(Number(updated.run.id), updated.run.status);
        }
        return updated.run;
    }
  }

  list(query: ListRunsQueryDto): Promise<Page<RunRow>> {
    return this.page(
      {
        capsuleSlug: query.capsule_slug,
        statuses: query.status,
        actor: query.actor,
        kind: query.kind,
        startedAfter: query.started_after,
        startedBefore: query.started_before,
      },
      query,
    );
  }

  /** The runs of one capsule; an unknown slug is a 404 (not an empty list). */
  async listForCapsule(slug: string, query: ListRunsQueryDto): Promise<Page<RunRow>> {
    await this.capsules.get(slug);
    return this.list({ ...query, capsule_slug: slug });
  }

  /** Runs that produced content with this checksum, newest first. */
  byChecksum(query: ArtifactsQueryDto): Promise<Page<RunRow>> {
    return this.page({ checksum: query.checksum }, query);
  }

  async latestArtifact(slug: string): Promise<RunRow> {
    const capsule = await this.capsules.get(slug);
    const run = await this.runs.latestArtifact(capsule.id, capsule.slug);
    if (!run) throw new ArtifactNotFoundError(slug);
    return run;
  }

  private async page(filter: RunFilter, query: PageQueryDto): Promise<Page<RunRow>> {
    const limit = pageSize(query.limit, RUN_PAGE.default, RUN_PAGE.max);
    const after = query.cursor ? decodeCursor(query.cursor, readTimeIdPosition) : undefined;
    // The page ends early (with a next link) where its JSON would pass the byte budget.
    return keysetPage(await this.runs.list({ ...filter, after }, limit), limit, (last) => [
      last.started_at.toISOString(),
      Number(last.id),
    ]);
  }

  private runKey(bodyKey: string | undefined, headerKey: string | undefined): string | null {
    if (headerKey !== undefined && !RUN_KEY_PATTERN.test(headerKey)) {
      throw new RequestValidationError([
        {
          field: 'Idempotency-Key',
          message: 'Idempotency-Key must be 1-200 printable ASCII characters without spaces',
        },
      ]);
    }
    if (bodyKey !== undefined && headerKey !== undefined && bodyKey !== headerKey) {
      throw new RequestValidationError([
        { field: 'run_key', message: 'run_key and the Idempotency-Key header differ; send one, or the same value' },
      ]);
    }
    return bodyKey ?? headerKey ?? null;
  }

  /** A reported instant may run ahead of the server's clock by MAX_CLOCK_SKEW_MS, no more. */
  private futureInstants(instants: Record<string, Date | null | undefined>): FieldError[] {
    const horizon = this.clock.now().getTime() + MAX_CLOCK_SKEW_MS;
    return Object.entries(instants)
      .filter(([, instant]) => instant && instant.getTime() > horizon)
      .map(([field]) => ({ field, message: `${field} must not be in the future` }));
  }

  private checkInstants(status: string, startedAt: Date | null, completedAt: Date | null): void {
    const errors = this.futureInstants({ started_at: startedAt, completed_at: completedAt });
    if (status === 'running' && completedAt) {
      errors.push({ field: 'completed_at', message: 'completed_at must be absent while status is running' });
    }
    if (startedAt && completedAt && completedAt < startedAt) {
      errors.push({ field: 'completed_at', message: 'completed_at must not be before started_at' });
    }
    if (errors.length) throw new RequestValidationError(errors);
  }
}

function reported(run: RunRow): ReportedRun {
  return {
    id: String(run.id),
    capsule_id: run.capsule_id,
    status: run.status,
    started_at: run.started_at,
    completed_at: run.completed_at,
    duration_ms: run.duration_ms === null ? null : Number(run.duration_ms),
    exit_code: run.exit_code,
    message: run.message,
  };
}

/** Run ids are positive bigints; anything else names no run. */
function isRunId(id: string): boolean {
  return /^[1-9]\d{0,17}$/.test(id);
}

/** What makes two reports "the same report" for exactly-once purposes. */
function fingerprint(input: RecordRunDto, status: string, startedAt: Date | null, completedAt: Date | null): string {
  const canonical = JSON.stringify([
    input.capsule_slug,
    input.actor,
    status,
    startedAt?.toISOString() ?? null,
    completedAt?.toISOString() ?? null,
    input.artifact_uri ?? null,
    input.checksum ?? null,
    input.exit_code ?? null,
    input.message ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** A retried finish: the same final status, and nothing given that differs from what is stored. */
function isSameOutcome(run: RunRow, input: FinishRunDto, completedAt: Date | undefined): boolean {
  return (
    (input.status === undefined || input.status === run.status) &&
    (completedAt === undefined || completedAt.getTime() === run.completed_at?.getTime()) &&
    (input.exit_code === undefined || input.exit_code === run.exit_code) &&
    (input.message === undefined || input.message === run.message) &&
    (input.artifact_uri === undefined || input.artifact_uri === run.artifact_uri) &&
    (input.checksum === undefined || input.checksum === run.checksum)
  );
}
