import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import type { ApiKeyScope } from '@app/common';
import { ApiKeyEntity } from './api-key.entity';

/** Table access for `api_keys`. */
@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

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
    const inserted = await this.keys.query<unknown[]>(
      `INSERT INTO api_keys (id, name, scope, key_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING RETURNING id`,
      [row.id, row.name, row.scope, row.key_hash],
    );
    return inserted.length === 1;
  }

  /** Revokes the active key with this name or id; returns its name, or undefined when none matched. */
  async revoke(nameOrId: string): Promise<string | undefined> {
    const result = await this.keys
      .createQueryBuilder()
      .update()
      .set({ revoked_at: () => 'now()' })
      .where('revoked_at IS NULL AND (name = :nameOrId OR id = :nameOrId)', { nameOrId })
      .returning(['name'])
      .execute();
    return (result.raw as { name: string }[])[0]?.name;
  }
}
