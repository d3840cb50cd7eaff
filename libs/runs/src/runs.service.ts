import { Injectable } from '@nestjs/common';
import { CapsuleNotFoundError } from '@app/capsules';
import {
  Clock,
  decodeCursor,
  encodeCursor,
  type FieldError,
  type Page,
  pageSize,
  readTimeIdPosition,
  RequestValidationError,
} from '@app/common';
import type { ListRunsQueryDto } from './dto/list-runs-query.dto';
import { RUN_PAGE } from './dto/list-runs-query.dto';
import type { RecordRunDto } from './dto/record-run.dto';
import type { RunRow } from './run.entity';
import { RunsRepository } from './runs.repository';

/** How far ahead of the server's clock a reported instant may be (clock skew). */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

@Injectable()
export class RunsService {
  constructor(
    private readonly runs: RunsRepository,
    private readonly clock: Clock,
  ) {}

  async record(input: RecordRunDto): Promise<RunRow> {
    const status = input.status ?? 'success';
    const startedAt = input.started_at ? new Date(input.started_at) : null;
    const completedAt = input.completed_at ? new Date(input.completed_at) : null;
    this.checkInstants(status, startedAt, completedAt);
    const row = await this.runs.insert({
      capsuleSlug: input.capsule_slug,
      actor: input.actor,
      status,
      startedAt,
      completedAt,
      artifactUri: input.artifact_uri ?? null,
      checksum: input.checksum ?? null,
      exitCode: input.exit_code ?? null,
      message: input.message ?? null,
    });
    if (!row) throw new CapsuleNotFoundError(input.capsule_slug);
    return row;
  }

  async list(query: ListRunsQueryDto): Promise<Page<RunRow>> {
    const limit = pageSize(query.limit, RUN_PAGE.default, RUN_PAGE.max);
    const after = query.cursor ? decodeCursor(query.cursor, readTimeIdPosition) : undefined;
    const rows = await this.runs.list(
      {
        capsuleSlug: query.capsule_slug,
        statuses: query.status,
        actor: query.actor,
        kind: query.kind,
        startedAfter: query.started_after,
        startedBefore: query.started_before,
        after,
      },
      limit,
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items,
      next: rows.length > limit ? encodeCursor([last.started_at.toISOString(), Number(last.id)]) : undefined,
    };
  }

  private checkInstants(status: string, startedAt: Date | null, completedAt: Date | null): void {
    const errors: FieldError[] = [];
    const horizon = this.clock.now().getTime() + MAX_CLOCK_SKEW_MS;
    if (startedAt && startedAt.getTime() > horizon) {
      errors.push({ field: 'started_at', message: 'started_at must not be in the future' });
    }
    if (completedAt && completedAt.getTime() > horizon) {
      errors.push({ field: 'completed_at', message: 'completed_at must not be in the future' });
    }
    if (status === 'running' && completedAt) {
      errors.push({ field: 'completed_at', message: 'completed_at must be absent while status is running' });
    }
    if (startedAt && completedAt && completedAt < startedAt) {
      errors.push({ field: 'completed_at', message: 'completed_at must not be before started_at' });
    }
    if (errors.length) throw new RequestValidationError(errors);
  }
}
