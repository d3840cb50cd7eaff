import { Injectable } from '@nestjs/common';
import {
  Clock,
  decodeCursor,
  readIntPosition,
  readStringPosition,
  keysetPage,
  type Page,
  type PageQueryDto,
  pageSize,
  RequestValidationError,
} from '@app/common';
import { CronSchedule, formatLocal, type ScheduleState, SchedulesService } from '@app/schedules';
import type { CapsuleEntity } from './capsule.entity';
import { CapsuleNotFoundError, CapsuleNotScheduledError } from './capsule.errors';
import { CapsulesRepository, type VersionRow } from './capsules.repository';
import { SLUG_PATTERN } from './dto/capsule-validators';
import { CAPSULE_PAGE, type ListCapsulesQueryDto } from './dto/list-capsules-query.dto';
import type { PatchCapsuleDto, UpsertCapsuleDto } from './dto/upsert-capsule.dto';

export interface CapsuleDetail {
  capsule: CapsuleEntity;
  state: ScheduleState;
  nextRun: Date | null;
  lastRun: Date | null;
}

const VERSION_PAGE = { default: 100, max: 1000 };

@Injectable()
export class CapsulesService {
  constructor(
    private readonly capsules: CapsulesRepository,
    private readonly schedules: SchedulesService,
    private readonly clock: Clock,
  ) {}

  register(input: UpsertCapsuleDto, changedBy?: string): Promise<CapsuleEntity> {
    return this.capsules.upsert(input, changedBy);
  }

  async get(slug: string): Promise<CapsuleEntity> {
    const capsule = await this.capsules.findBySlug(slug);
    if (!capsule) throw new CapsuleNotFoundError(slug);
    return capsule;
  }

  /** The capsule with its schedule state and next fire time, at the clock's now. */
  async detail(slug: string): Promise<CapsuleDetail> {
    const capsule = await this.get(slug);
    return { capsule, ...(await this.schedules.statusOf(capsule)) };
  }

  /** The next `count` fire times strictly after `after`, in the capsule time zone. */
  async fireTimes(slug: string, count: number, after: Date | undefined): Promise<{ at: Date; local: string }[]> {
    const capsule = await this.get(slug);
    if (!capsule.schedule) throw new CapsuleNotScheduledError(slug);
    return CronSchedule.parse(capsule.schedule)
      .nextN(after ?? this.clock.now(), capsule.timezone, count)
      .map((at) => ({ at, local: formatLocal(at, capsule.timezone) }));
  }

  async update(slug: string, patch: PatchCapsuleDto, changedBy?: string): Promise<CapsuleEntity> {
    if (Object.values(patch).every((value) => value === undefined)) {
      throw new RequestValidationError([
        { field: '(body)', message: 'the request body must change at least one field' },
      ]);
    }
    const capsule = await this.capsules.patch(slug, patch, changedBy);
    if (!capsule) throw new CapsuleNotFoundError(slug);
    return capsule;
  }

  async remove(slug: string): Promise<void> {
    if (!(await this.capsules.delete(slug))) throw new CapsuleNotFoundError(slug);
  }

  async list(query: ListCapsulesQueryDto): Promise<Page<CapsuleEntity>> {
    const limit = pageSize(query.limit, CAPSULE_PAGE.default, CAPSULE_PAGE.max);
    const afterSlug = query.cursor ? decodeCursor(query.cursor, readStringPosition(SLUG_PATTERN)) : undefined;
    const fetched = await this.capsules.list(
      { kind: query.kind, mode: query.mode, status: query.status, afterSlug },
      limit,
    );
    return keysetPage(fetched, limit, (last) => [last.slug]);
  }

  /** Every version of the definition, newest first. */
  async versions(slug: string, query: PageQueryDto): Promise<Page<VersionRow>> {
    const capsule = await this.get(slug);
    const limit = pageSize(query.limit, VERSION_PAGE.default, VERSION_PAGE.max);
    const before = query.cursor ? decodeCursor(query.cursor, readIntPosition) : undefined;
    return keysetPage(await this.capsules.versions(capsule.id, before, limit), limit, (last) => [last.revision]);
  }

  vocabulary(): Promise<{ kinds: string[]; modes: string[] }> {
    return this.capsules.vocabulary();
  }
}
