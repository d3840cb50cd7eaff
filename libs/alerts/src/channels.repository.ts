import { Injectable } from '@nestjs/common';
import { Database, sql } from '@app/database';
import type { ChannelType } from './channels/channel-sender';

export interface ChannelRow {
  id: number;
  name: string;
  type: ChannelType;
  target: string;
  secret: string | null;
  capsules: string[];
  kinds: string[];
  tags: string[];
  consecutive_failures: number;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  created_at: Date;
}

export interface NewChannel {
  name: string;
  type: ChannelType;
  target: string;
  secret: string | null;
  capsules: string[];
  kinds: string[];
  tags: string[];
}

const COLUMNS = sql.raw(`id, name, type, target, secret, capsules, kinds, tags, consecutive_failures,
  last_success_at, last_failure_at, created_at`);

/** What a channel update did; one that changed nothing says why. */
export type UpdateChannelResult =
  { outcome: 'updated'; channel: ChannelRow } | { outcome: 'not-found' } | { outcome: 'name-taken' };

const UNIQUE_VIOLATION = '23505';

/** `alert_channels`: where notifications go, their routing and health. */
@Injectable()
export class ChannelsRepository {
  constructor(private readonly db: Database) {}

  /** The new channel, or undefined when the name is taken. */
  insert(channel: NewChannel): Promise<ChannelRow | undefined> {
    return this.db.first<ChannelRow>(
      sql`INSERT INTO alert_channels (name, type, target, secret, capsules, kinds, tags)
          VALUES (${channel.name}, ${channel.type}, ${channel.target}, ${channel.secret},
                  ${channel.capsules}::text[], ${channel.kinds}::text[], ${channel.tags}::text[])
          ON CONFLICT (name) DO NOTHING
          RETURNING ${COLUMNS}`,
    );
  }

  list(): Promise<ChannelRow[]> {
    return this.db.rows<ChannelRow>(sql`SELECT ${COLUMNS} FROM alert_channels ORDER BY id`);
  }

  find(id: number): Promise<ChannelRow | undefined> {
    return this.db.first<ChannelRow>(sql`SELECT ${COLUMNS} FROM alert_channels WHERE id = ${id}`);
  }

  /** Applies the given changes; a change that stored nothing says why. */
  async update(
    id: number,
    changes: Partial<Pick<NewChannel, 'name' | 'target' | 'capsules' | 'kinds' | 'tags'>>,
  ): Promise<UpdateChannelResult> {
    const channel = await this.db
      .first<ChannelRow>(
        sql`UPDATE alert_channels SET
            name = COALESCE(${changes.name ?? null}, name),
            target = COALESCE(${changes.target ?? null}, target),
            capsules = COALESCE(${changes.capsules ?? null}::text[], capsules),
            kinds = COALESCE(${changes.kinds ?? null}::text[], kinds),
            tags = COALESCE(${changes.tags ?? null}::text[], tags),
            updated_at = now()
          WHERE id = ${id}
          RETURNING ${COLUMNS}`,
      )
      .catch((error: unknown) => {
        // The name is unique: another channel has it (perhaps taken a moment ago).
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return 'name-taken' as const;
        throw error;
      });
    if (channel === 'name-taken') return { outcome: 'name-taken' };
    return channel ? { outcome: 'updated', channel } : { outcome: 'not-found' };
  }

  async delete(id: number): Promise<boolean> {
    return (await this.db.rows(sql`DELETE FROM alert_channels WHERE id = ${id} RETURNING id`)).length > 0;
  }
}
