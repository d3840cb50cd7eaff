import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { FindOptionsWhere, MoreThan, Repository } from 'typeorm';
import { CapsuleEntity, type CapsuleStatus } from './capsule.entity';
import type { UpsertCapsuleDto } from './dto/upsert-capsule.dto';

/** Fields a registration may leave out: they keep their value on update, take the default on insert. */
const OPTIONAL_FIELDS = [
  'version',
  'status',
  'entrypoint',
  'schedule',
  'timezone',
  'grace_seconds',
  'max_runtime_seconds',
  'tags',
] as const;

export interface CapsuleFilter {
  kind?: string;
  mode?: string;
  status?: CapsuleStatus;
  /** Keyset position: only slugs after this one. */
  afterSlug?: string;
}

@Injectable()
export class CapsulesRepository {
  constructor(@InjectRepository(CapsuleEntity) private readonly capsules: Repository<CapsuleEntity>) {}

  /**
   * One statement: INSERT … ON CONFLICT (slug) DO UPDATE. Concurrent
   * registrations of one slug cannot both insert; `created_at` is kept and
   * `updated_at` moves on every re-post.
   */
  async upsert(input: UpsertCapsuleDto): Promise<CapsuleEntity> {
    const columns: string[] = [
      'slug',
      'title',
      'kind',
      'mode',
      ...OPTIONAL_FIELDS.filter((f) => input[f] !== undefined),
    ];
    const values = columns.map((column) => input[column as keyof UpsertCapsuleDto]);
    const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ');
    const updates = columns
      .filter((column) => column !== 'slug')
      .map((column) => `${column} = EXCLUDED.${column}`)
      .join(', ');
    const rows: CapsuleEntity[] = await this.capsules.query(
      `INSERT INTO capsules (${columns.join(', ')}) VALUES (${placeholders})
       ON CONFLICT (slug) DO UPDATE SET ${updates}, updated_at = now()
       RETURNING *`,
      values,
    );
    return rows[0];
  }

  findBySlug(slug: string): Promise<CapsuleEntity | null> {
    return this.capsules.findOneBy({ slug });
  }

  /** A page in slug order; asks for one row more than `limit` to know if more exist. */
  list(filter: CapsuleFilter, limit: number): Promise<CapsuleEntity[]> {
    const where: FindOptionsWhere<CapsuleEntity> = {};
    if (filter.kind) where.kind = filter.kind;
    if (filter.mode) where.mode = filter.mode;
    if (filter.status) where.status = filter.status;
    if (filter.afterSlug !== undefined) where.slug = MoreThan(filter.afterSlug);
    return this.capsules.find({ where, order: { slug: 'ASC' }, take: limit + 1 });
  }

  /** The distinct kinds and modes in use, sorted. */
  async vocabulary(): Promise<{ kinds: string[]; modes: string[] }> {
    const rows: { kinds: string[] | null; modes: string[] | null }[] = await this.capsules.query(
      'SELECT array_agg(DISTINCT kind ORDER BY kind) AS kinds, array_agg(DISTINCT mode ORDER BY mode) AS modes FROM capsules',
    );
    return { kinds: rows[0]?.kinds ?? [], modes: rows[0]?.modes ?? [] };
  }
}
