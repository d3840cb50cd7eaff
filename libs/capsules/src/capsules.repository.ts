import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
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
import { CAPSULE_DEFINITION_FIELDS, CapsuleEntity, type CapsuleStatus } from './capsule.entity';
import type { PatchCapsuleDto, UpsertCapsuleDto } from './dto/upsert-capsule.dto';

/**
 * Upper bound of a capsule's JSON: 500 bytes for keys, numbers, instants and 20 tags' quotes; the
 * free texts (`title`, `entrypoint`, `version`, tags) may hold control characters (6×), the
 * validated tokens cannot (kind and mode: letters, digits, space, `._-`; a cron schedule; an IANA
 * time zone).
 */
const CAPSULE_JSON_BOUND = jsonBytesBound(500, [
  ['p.slug', 1],
  ['p.title', 6],
  ['p.kind', 1],
  ['p.mode', 1],
  ['p.version', 6],
  ['p.status', 1],
  ['p.entrypoint', 6],
  ['p.schedule', 2],
  ['p.timezone', 1],
  ["array_to_string(p.tags, '')", 6],
]);

/** Fields a registration may leave out: they keep their value on update, take the default on insert. */
const OPTIONAL_FIELDS = CAPSULE_DEFINITION_FIELDS.filter((f) => f !== 'title' && f !== 'kind' && f !== 'mode');

export interface VersionRow {
  revision: number;
  definition: Record<string, unknown>;
  changed_by: string | null;
  changed_at: Date;
}

export interface CapsuleFilter {
  kind?: string;
  mode?: string;
  status?: CapsuleStatus;
  /** Keyset position: only slugs after this one. */
  afterSlug?: string;
}

@Injectable()
export class CapsulesRepository {
  constructor(
    @InjectRepository(CapsuleEntity) private readonly capsules: Repository<CapsuleEntity>,
    private readonly db: Database,
  ) {}

  /**
   * One statement: INSERT … ON CONFLICT (slug) DO UPDATE. Concurrent
   * registrations of one slug cannot both insert; `created_at` is kept and
   * `updated_at` moves on every re-post.
   */
  async upsert(input: UpsertCapsuleDto, changedBy?: string): Promise<CapsuleEntity> {
    const columns = [
      'slug',
      'title',
      'kind',
      'mode',
      ...OPTIONAL_FIELDS.filter((f) => input[f] !== undefined),
    ] as const satisfies readonly (keyof UpsertCapsuleDto)[];
    const names = sql.raw(columns.join(', '));
    const values = sql.join(
      columns.map((column) => sql`${input[column]}`),
      ', ',
    );
    const updates = sql.raw(
      columns
        .filter((column) => column !== 'slug')
        .map((column) => `${column} = EXCLUDED.${column}`)
        .join(', '),
    );
    const [capsule] = await this.write<CapsuleEntity>(
      changedBy,
      sql`INSERT INTO capsules (${names}) VALUES (${values})
          ON CONFLICT (slug) DO UPDATE SET ${updates}, updated_at = now()
          RETURNING *`,
    );
    return capsule;
  }

  /** Changes the given fields; undefined when no capsule has this slug. */
  async patch(slug: string, input: PatchCapsuleDto, changedBy?: string): Promise<CapsuleEntity | undefined> {
    const sets = CAPSULE_DEFINITION_FIELDS.filter((f) => input[f] !== undefined).map(
      (column) => sql`${sql.raw(column)} = ${input[column]}`,
    );
    const [capsule] = await this.write<CapsuleEntity>(
      changedBy,
      sql`UPDATE capsules SET ${sql.join([...sets, sql`updated_at = now()`], ', ')} WHERE slug = ${slug} RETURNING *`,
    );
    return capsule;
  }

  /** Deletes the capsule, its runs and its versions (foreign keys cascade). */
  async delete(slug: string): Promise<boolean> {
    const gone = await this.db.rows(sql`DELETE FROM capsules WHERE slug = ${slug} RETURNING id`);
    return gone.length > 0;
  }

  /**
   * Definition versions, newest first, below `beforeRevision` when given; one more than `limit`,
   * or fewer (`cut`) where the page's JSON would pass the byte budget.
   */
  async versions(
    capsuleId: number,
    beforeRevision: number | undefined,
    limit: number,
  ): Promise<{ rows: VersionRow[]; cut: boolean }> {
    const before = beforeRevision === undefined ? sql`` : sql`AND revision < ${beforeRevision}`;
    const rows = await this.db.rows<BudgetedRow<VersionRow>>(
      withByteBudget(
        sql`SELECT revision, definition, changed_by, changed_at FROM capsule_versions
            WHERE capsule_id = ${capsuleId} ${before}
            ORDER BY revision DESC LIMIT ${limit + 1}`,
        'revision DESC',
        // The definition's JSON text is its size; versions are few and small, so measuring is cheap.
        '200 + 6 * coalesce(octet_length(p.changed_by), 0) + octet_length(p.definition::text)',
        PAGE_BYTE_BUDGET,
      ),
    );
    return budgetedRows(rows);
  }

  /**
   * Runs a write; with a `changedBy`, inside a transaction that tells the
   * version trigger who made the change.
   */
  private write<T extends object>(changedBy: string | undefined, statement: Sql): Promise<T[]> {
    if (!changedBy) return this.db.rows<T>(statement);
    return this.db.transaction(async (tx: Queries) => {
      await tx.rows(sql`SELECT set_config('capsules.changed_by', ${changedBy}, true)`);
      return tx.rows<T>(statement);
    });
  }

  findBySlug(slug: string): Promise<CapsuleEntity | null> {
    return this.capsules.findOneBy({ slug });
  }

  /**
   * A page in slug order; asks for one row more than `limit` to know if more exist, and returns
   * fewer (`cut`) where the page's JSON would pass the byte budget.
   */
  async list(filter: CapsuleFilter, limit: number): Promise<{ rows: CapsuleEntity[]; cut: boolean }> {
    const where: Sql[] = [];
    if (filter.kind) where.push(sql`kind = ${filter.kind}`);
    if (filter.mode) where.push(sql`mode = ${filter.mode}`);
    if (filter.status) where.push(sql`status = ${filter.status}`);
    if (filter.afterSlug !== undefined) where.push(sql`slug > ${filter.afterSlug}`);
    const rows = await this.db.rows<BudgetedRow<CapsuleEntity>>(
      withByteBudget(
        sql`SELECT * FROM capsules ${sql.where(where)} ORDER BY slug LIMIT ${limit + 1}`,
        'slug',
        CAPSULE_JSON_BOUND,
        2 * PAGE_BYTE_BUDGET,
      ),
    );
    return budgetedRows(rows);
  }

  /** The distinct kinds and modes in use, sorted. */
  async vocabulary(): Promise<{ kinds: string[]; modes: string[] }> {
    const row = await this.db.first<{ kinds: string[] | null; modes: string[] | null }>(
      sql`SELECT array_agg(DISTINCT kind ORDER BY kind) AS kinds, array_agg(DISTINCT mode ORDER BY mode) AS modes
          FROM capsules`,
    );
    return { kinds: row?.kinds ?? [], modes: row?.modes ?? [] };
  }
}
