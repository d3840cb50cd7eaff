import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { Database, sql } from '@app/database';
import type { ApiKeyScope } from './api-key-format';
import { ApiKeyEntity } from './api-key.entity';

/** Table access for `api_keys`. */
@Injectable()
export class ApiKeysRepository {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    private readonly db: Database,
  ) {}

  findById(id: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOneBy({ id });
  }

  countActive(): Promise<number> {
    return this.keys.countBy({ revoked_at: IsNull() });
  }

  list(): Promise<ApiKeyEntity[]> {
    return this.keys.find({ order: { created_at: 'ASC', id: 'ASC' } });
  }

  /** Inserts a key; false when an active key already has this name. */
  async insert(row: { id: string; name: string; scope: ApiKeyScope; key_hash: Buffer }): Promise<boolean> {
    const inserted = await this.db.rows(
      sql`INSERT INTO api_keys (id, name, scope, key_hash) VALUES (${row.id}, ${row.name}, ${row.scope}, ${row.key_hash})
          ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING RETURNING id`,
    );
    return inserted.length === 1;
  }

  /** Revokes the active key with this name or id; returns its name, or undefined when none matched. */
  async revoke(nameOrId: string): Promise<string | undefined> {
    const target = sql.value(nameOrId);
    const revoked = await this.db.first<{ name: string }>(
      sql`UPDATE api_keys SET revoked_at = now()
          WHERE revoked_at IS NULL AND (name = ${target} OR id = ${target}) RETURNING name`,
    );
    return revoked?.name;
  }
}
