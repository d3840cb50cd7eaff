import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { type BudgetedRow, budgetedRows, jsonBytesBound, PAGE_BYTE_BUDGET, withByteBudget } from '@app/database';
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

export interface RunSummaryRow {
  last_run_at: Date | null;
  last_finished_status: string | null;
  oldest_running_started_at: Date | null;
}

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
  constructor(@InjectRepository(CapsuleEntity) private readonly capsules: Repository<CapsuleEntity>) {}

  /**
   * One statement: INSERT … ON CONFLICT (slug) DO UPDATE. Concurrent
   * registrations of one slug cannot both insert; `created_at` is kept and
   * `updated_at` moves on every re-post.
   */
  async upsert(input: UpsertCapsuleDto, changedBy?: string): Promise<CapsuleEntity> {
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
    const rows = await this.write<CapsuleEntity>(
      changedBy,
      `INSERT INTO capsules (${columns.join(', ')}) VALUES (${placeholders})
       ON CONFLICT (slug) DO UPDATE SET ${updates}, updated_at = now()
       RETURNING *`,
      values,
    );
    return rows[0];
  }

  /**
   * Changes the given fields; undefined when no capsule has this slug.
   * (UPDATE and DELETE are wrapped in a CTE so the driver answers rows, as for a SELECT.)
   */
  async patch(slug: string, input: PatchCapsuleDto, changedBy?: string): Promise<CapsuleEntity | undefined> {
    const columns = CAPSULE_DEFINITION_FIELDS.filter((f) => input[f] !== undefined);
    const values: unknown[] = columns.map((column) => input[column]);
    const sets = columns.map((column, i) => `${column} = $${i + 2}`);
    const rows = await this.write<CapsuleEntity>(
      changedBy,
      `WITH changed AS (
         UPDATE capsules SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE slug = $1 RETURNING *
       ) SELECT * FROM changed`,
      [slug, ...values],
    );
    return rows[0];
  }

  /** Deletes the capsule, its runs and its versions (foreign keys cascade). */
  async delete(slug: string): Promise<boolean> {
    const rows: unknown[] = await this.capsules.query(
      'WITH gone AS (DELETE FROM capsules WHERE slug = $1 RETURNING id) SELECT id FROM gone',
      [slug],
    );
    return rows.length > 0;
  }

  async runSummary(capsuleId: number): Promise<RunSummaryRow> {
    const rows: RunSummaryRow[] = await this.capsules.query(
      `SELECT last_run_at, last_finished_status, oldest_running_started_at
       FROM capsule_run_summary WHERE capsule_id = $1`,
      [capsuleId],
    );
    return rows[0] ?? { last_run_at: null, last_finished_status: null, oldest_running_started_at: null };
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
    const rows = await this.capsules.query<BudgetedRow<VersionRow>[]>(
      withByteBudget(
        `SELECT revision, definition, changed_by, changed_at FROM capsule_versions
         WHERE capsule_id = $1 AND ($2::int IS NULL OR revision < $2)
         ORDER BY revision DESC LIMIT $3`,
        'revision DESC',
        // The definition's JSON text is its size; versions are few and small, so measuring is cheap.
        '200 + 6 * coalesce(octet_length(p.changed_by), 0) + octet_length(p.definition::text)',
        '$4',
      ),
      [capsuleId, beforeRevision ?? null, limit + 1, PAGE_BYTE_BUDGET],
    );
    return budgetedRows(rows);
  }

  /**
   * Runs a write; with a `changedBy`, inside a transaction that tells the
   * version trigger who made the change.
   */
  private write<T>(changedBy: string | undefined, sql: string, params: unknown[]): Promise<T[]> {
    if (!changedBy) return this.capsules.query(sql, params);
    return this.capsules.manager.transaction(async (manager) => {
      await manager.query("SELECT set_config('capsules.changed_by', $1, true)", [changedBy]);
      return manager.query<T[]>(sql, params);
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
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.kind) where.push(`kind = ${param(filter.kind)}`);
    if (filter.mode) where.push(`mode = ${param(filter.mode)}`);
    if (filter.status) where.push(`status = ${param(filter.status)}`);
    if (filter.afterSlug !== undefined) where.push(`slug > ${param(filter.afterSlug)}`);
    const page = `SELECT * FROM capsules ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY slug LIMIT ${param(limit + 1)}`;
    const rows = await this.capsules.query<BudgetedRow<CapsuleEntity>[]>(
      withByteBudget(page, 'slug', CAPSULE_JSON_BOUND, param(2 * PAGE_BYTE_BUDGET)),
      params,
    );
    return budgetedRows(rows);
  }

  /** The distinct kinds and modes in use, sorted. */
  async vocabulary(): Promise<{ kinds: string[]; modes: string[] }> {
    const rows: { kinds: string[] | null; modes: string[] | null }[] = await this.capsules.query(
      'SELECT array_agg(DISTINCT kind ORDER BY kind) AS kinds, array_agg(DISTINCT mode ORDER BY mode) AS modes FROM capsules',
    );
    return { kinds: rows[0]?.kinds ?? [], modes: rows[0]?.modes ?? [] };
  }
}
