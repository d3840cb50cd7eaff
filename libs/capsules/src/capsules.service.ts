import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor, type Page, pageSize } from '@app/common';
import type { CapsuleEntity } from './capsule.entity';
import { CapsulesRepository } from './capsules.repository';
import { CapsuleNotFoundError } from './capsule.errors';
import { CAPSULE_PAGE, type ListCapsulesQueryDto } from './dto/list-capsules-query.dto';
import type { UpsertCapsuleDto } from './dto/upsert-capsule.dto';

@Injectable()
export class CapsulesService {
  constructor(private readonly capsules: CapsulesRepository) {}

  register(input: UpsertCapsuleDto): Promise<CapsuleEntity> {
    return this.capsules.upsert(input);
  }

  async get(slug: string): Promise<CapsuleEntity> {
    const capsule = await this.capsules.findBySlug(slug);
    if (!capsule) throw new CapsuleNotFoundError(slug);
    return capsule;
  }

  async list(query: ListCapsulesQueryDto): Promise<Page<CapsuleEntity>> {
    const limit = pageSize(query.limit, CAPSULE_PAGE.default, CAPSULE_PAGE.max);
    const afterSlug = query.cursor
      ? decodeCursor(query.cursor, (values) =>
          values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined,
        )
      : undefined;
    const rows = await this.capsules.list(
      { kind: query.kind, mode: query.mode, status: query.status, afterSlug },
      limit,
    );
    const items = rows.slice(0, limit);
    return { items, next: rows.length > limit ? encodeCursor([items[items.length - 1].slug]) : undefined };
  }

  vocabulary(): Promise<{ kinds: string[]; modes: string[] }> {
    return this.capsules.vocabulary();
  }
}
