import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AlertsService, type ReportedRun } from '@app/alerts';
import { CapsuleNotFoundError, CapsulesService } from '@app/capsules';
import {
  APP_CONFIG,
  type AppConfig,
  Clock,
  decodeCursor,
  describeError,
  DomainError,
  type FieldError,
  isDatabaseUnavailable,
  keysetPage,
  type Page,
  type PageQueryDto,
  pageSize,
  readTimeIdPosition,
  RequestValidationError,
  ServiceUnavailableError,
  sqlState,
  toInstant,
} from '@app/common';
import { Database, FINAL_RUN_STATUSES, type Queries, statusList } from '@app/database';
import type { ArtifactsQueryDto } from './dto/artifact.dto';
import type { FinishRunDto } from './dto/finish-run.dto';
import { RUN_PAGE, type ListRunsQueryDto } from './dto/list-runs-query.dto';
import type { RecordRunDto } from './dto/record-run.dto';
import { RUN_KEY_PATTERN } from './dto/run-validators';
import type { RunRow } from './run.entity';
import { GroupCommit } from './group-commit';
import {
  ArtifactNotFoundError,
  BatchRejectedError,
  RunAlreadyFinishedError,
  RunNotStoredError,
  RunKeyConflictError,
  RunNotFoundError,
} from './run.errors';
import { type InsertRunResult, type NewRun, type RunFilter, RunsRepository } from './runs.repository';

/** How far ahead of the server's clock a reported instant may be (clock skew). */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface RecordedRun {
  run: RunRow;
  /** True when a retried report returned the run recorded the first time. */
  replayed: boolean;
}

/** What became of one item of a batch. */
export type BatchItemResult =
  | { outcome: 'stored' | 'replayed'; run: RunRow }
  | { outcome: 'rejected'; problem: DomainError }
  /** An atomic batch that stored nothing: this item was fine, but another was refused. */
  | { outcome: 'skipped' };

/** A write's result, or the error of a report written alone that failed on its own. */
type WriteResult = InsertRunResult | { outcome: 'failed'; error: unknown };

/** A deadlock and a serialization failure: the transaction may succeed when tried again. */
const TRANSIENT_SQLSTATES = new Set(['40P01', '40001']);

/** At most this many reports share one transaction of the group commit. */
const GROUP_COMMIT_MAX_BATCH = 64;

@Injectable()
export class RunsService {
  private readonly groupCommit: GroupCommit<NewRun, WriteResult>;
  private readonly logger = new Logger('Runs');

  constructor(
    private readonly runs: RunsRepository,
    private readonly capsules: CapsulesService,
    private readonly alerts: AlertsService,
    private readonly db: Database,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    // Two batches in flight: one gathers (up to 2 ms) while the other commits (ADR 13).
    this.groupCommit = new GroupCommit((runs) => this.writeTogether(runs), {
      maxBatch: GROUP_COMMIT_MAX_BATCH,
      concurrency: Math.min(2, Math.max(1, config.dbPoolSize - 2)),
      lingerMs: 2,
      // A report that waited half the request timeout for its group is not written late (its
      // client may have been answered 503 by then and retry): 503 now, nothing stored.
      maxWaitMs: Math.max(1, Math.floor(config.requestTimeoutMs / 2)),
      expired: () => new ServiceUnavailableError('The run report waited too long to be written; retry it'),
    });
  }

  /**
   * Records a run. With a run key (body `run_key` or the Idempotency-Key
   * header) a retry returns the run recorded first; the same key with another
   * capsule or payload is a 409. Concurrent reports are written together (group commit,
   * `writeTogether`); each is answered once its batch has committed.
   */
  async record(input: RecordRunDto, idempotencyKey?: string): Promise<RecordedRun> {
    const run = this.newRun(input, this.runKey(input.run_key, idempotencyKey));
    const result = await this.groupCommit.submit(run);
    if (result.outcome === 'failed') throw result.error;
    return recordedOrThrow(run, result);
  }

  /** Single reports not answered yet: waiting for their group, or in a group being written. */
  get pendingReports(): number {
    return this.groupCommit.pending;
  }

  /**
   * A batch of reports, in request order: each item stored, replayed, or refused with its problem
   * (an item given as a DomainError was refused already, for its body). All in one transaction; one
   * item refused does not keep the others from being stored, unless `atomic`: then any refusal
   * stores nothing (BatchRejectedError, with every item's result).
   */
  async recordBatch(items: (RecordRunDto | DomainError)[], atomic: boolean): Promise<BatchItemResult[]> {
    const results: (BatchItemResult | undefined)[] = items.map((item) =>
      item instanceof DomainError ? { outcome: 'rejected', problem: item } : undefined,
    );
    const runs: { index: number; run: NewRun }[] = [];
    items.forEach((item, index) => {
      if (item instanceof DomainError) return;
      try {
        runs.push({ index, run: this.newRun(item, item.run_key ?? null) });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        results[index] = { outcome: 'rejected', problem: error };
      }
    });
    const settle = (written: WriteResult[]) =>
      written.forEach((result, i) => (results[runs[i].index] = batchItemResult(runs[i].run, result)));
    if (!atomic) {
      if (runs.length > 0) settle(await this.writeTogether(runs.map((r) => r.run)));
      return results as BatchItemResult[];
    }
    if (results.some((result) => result !== undefined)) throw new BatchRejectedError(withSkipped(results));
    await this.db.transaction(async (tx) => {
      settle(
        await this.writeRuns(
          tx,
          runs.map((r) => r.run),
        ),
      );
      // Thrown inside, so the transaction rolls back: nothing of the batch is stored.
      if (results.some((result) => result?.outcome === 'rejected')) {
        throw new BatchRejectedError(withSkipped(results, true));
      }
    });
    return results as BatchItemResult[];
  }

  /**
   * Reports written in one transaction. Should it fail for a reason of its own (not the database's
   * absence: then every report is answered 503), each report is written alone, so that one
   * cannot fail the others.
   */
  private async writeTogether(runs: NewRun[]): Promise<WriteResult[]> {
    let error: unknown;
    // A deadlock or a serialization failure is worth one more try, together.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        return await this.db.transaction((tx) => this.writeRuns(tx, runs));
      } catch (failed) {
        error = failed;
        if (!TRANSIENT_SQLSTATES.has(sqlState(failed) ?? '')) break;
      }
    }
    if (isDatabaseUnavailable(error)) throw error;
    if (runs.length === 1) return [{ outcome: 'failed', error }];
    const results: WriteResult[] = [];
    let gone: unknown;
    for (const run of runs) {
      // Once the database is gone, the rest is answered 503 at once, not after a wait each.
      if (gone !== undefined) {
        results.push({ outcome: 'failed', error: gone });
        continue;
      }
      try {
        results.push((await this.db.transaction((tx) => this.writeRuns(tx, [run])))[0]);
      } catch (alone) {
        if (isDatabaseUnavailable(alone)) gone = alone;
        else if (!(alone instanceof DomainError)) {
          this.logger.error({
            message: 'runs: a report failed on its own (written alone after its batch failed)',
            capsule_slug: run.capsuleSlug,
            err: describeError(alone),
          });
        }
        results.push({ outcome: 'failed', error: alone });
      }
    }
    return results;
  }

  /**
   * Writes reports in the caller's transaction and has alerts judge each, as if they had come one
   * after another in this order: the capsules' alert rows are locked first (in id order), then
   * the runs go in statements ("waves") where a capsule's reports that cannot change its alert
   * state travel together and one that can is the last of its capsule in its wave, judged after
   * it, before that capsule's next report is written.
   */
  private async writeRuns(tx: Queries, runs: NewRun[]): Promise<InsertRunResult[]> {
    const states = await this.alerts.lockForReports(tx, [...new Set(runs.map((run) => run.capsuleSlug))]);
    const results: InsertRunResult[] = [];
    let pending = runs.map((run, index) => ({ run, index }));
    while (pending.length > 0) {
      const wave: ((typeof pending)[number] & { judged: boolean })[] = [];
      const later: typeof pending = [];
      const waiting = new Set<string>();
      const waitingKeys = new Set<string>();
      for (const item of pending) {
        const { capsuleSlug: slug, runKey } = item.run;
        // Behind a report of its capsule that waits, or one with its run key (the first report
        // of a key must be the one written first, whatever its capsule).
        if (waiting.has(slug) || (runKey !== null && waitingKeys.has(runKey))) {
          later.push(item);
          waiting.add(slug);
          if (runKey !== null) waitingKeys.add(runKey);
          continue;
        }
        const judged = this.alerts.canChange(states.get(slug), item.run.status);
        wave.push({ ...item, judged });
        if (judged) waiting.add(slug);
      }
      const inserted = await this.runs.insertMany(
        tx,
        wave.map((item) => item.run),
      );
      const again = new Set(later.map((item) => item.run.capsuleSlug));
      for (const [i, result] of inserted.entries()) {
        const { index, judged, run } = wave[i];
        results[index] = result;
        if (result.outcome !== 'inserted' || !judged) continue;
        await this.alerts.onRunReported(tx, reported(result.run), states.get(run.capsuleSlug));
        // The judgement may have changed the row: read it again for the capsule's next report.
        if (again.has(run.capsuleSlug)) {
          states.set(run.capsuleSlug, await this.alerts.relock(tx, result.run.capsule_id));
        }
      }
      pending = later;
    }
    return results;
  }

  /** The run a report asks for, its instants checked (422) and its fingerprint taken. */
  private newRun(input: RecordRunDto, runKey: string | null): NewRun {
    const status = input.status ?? 'success';
    const startedAt = input.started_at ? toInstant(input.started_at) : null;
    const completedAt = input.completed_at ? toInstant(input.completed_at) : null;
    this.checkInstants(status, startedAt, completedAt);
    return {
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
      requestHash: runKey ? fingerprint(input, status, startedAt, completedAt) : null,
    };
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
      const alertState = await this.alerts.lockForFinish(tx, id);
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

/** The answer to one report: its run, replayed or not, or the reason it was refused. */
function recordedOrThrow(run: NewRun, result: InsertRunResult): RecordedRun {
  switch (result.outcome) {
    case 'inserted':
      return { run: result.run, replayed: false };
    case 'key-taken': {
      const { request_hash: storedHash, ...existing } = result.existing;
      if (storedHash !== run.requestHash) throw new RunKeyConflictError(run.runKey!, Number(existing.id));
      return { run: existing, replayed: true };
    }
    case 'capsule-not-found':
      throw new CapsuleNotFoundError(run.capsuleSlug);
  }
}

function batchItemResult(run: NewRun, result: WriteResult): BatchItemResult {
  if (result.outcome === 'failed') {
    if (result.error instanceof DomainError) return { outcome: 'rejected', problem: result.error };
    // Written alone after its batch failed, then the database went away: this item, not the others.
    if (isDatabaseUnavailable(result.error)) {
      return { outcome: 'rejected', problem: new ServiceUnavailableError('The database is unavailable; not stored') };
    }
    // A fault of this item alone (the others were stored): said for it, logged with the request.
    return { outcome: 'rejected', problem: new RunNotStoredError() };
  }
  try {
    const recorded = recordedOrThrow(run, result);
    return { outcome: recorded.replayed ? 'replayed' : 'stored', run: recorded.run };
  } catch (error) {
    if (error instanceof DomainError) return { outcome: 'rejected', problem: error };
    throw error;
  }
}

/** An atomic batch's results once it stored nothing: the refused items, and the others skipped. */
function withSkipped(results: (BatchItemResult | undefined)[], rolledBack = false): BatchItemResult[] {
  return results.map((result) =>
    result?.outcome === 'rejected' ? result : rolledBack || result === undefined ? { outcome: 'skipped' } : result,
  );
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
