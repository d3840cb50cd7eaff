import { Global, Injectable, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import type { Sql } from './sql';

/**
 * The node-postgres pool behind TypeORM's DataSource: the one seam through which the service
 * reaches the pool (TypeORM does not expose it in its types). Undefined before the DataSource
 * connects and after it is destroyed.
 */
export function pgPool(dataSource: DataSource): Pool | undefined {
  return (dataSource.driver as PostgresDriver).master as Pool | undefined;
}

/** Runs hand-written SQL; the same calls inside a transaction (`Database.transaction`). */
export interface Queries {
  /** Every row the statement returns (for INSERT/UPDATE/DELETE, its RETURNING rows). */
  rows<T extends QueryResultRow>(query: Sql): Promise<T[]>;
  /** The first row, or undefined when there is none. */
  first<T extends QueryResultRow>(query: Sql): Promise<T | undefined>;
  /**
   * A named (prepared) statement: parsed and planned once per connection instead of at every
   * call; for the hot paths. The name must stand for one text.
   */
  prepared<T extends QueryResultRow>(name: string, query: Sql): Promise<T[]>;
  /**
   * Runs `callback` once what was written is visible to others: after the transaction commits
   * (never when it rolls back), or at once outside a transaction.
   */
  afterCommit(callback: () => void): void;
}

/**
 * Hand-written SQL (`sql` templates) on the DataSource's pool. TypeORM keeps the DataSource, the
 * migrations and the entity repositories; queries that are clearer as SQL come here (ADR 9).
 */
@Injectable()
export class Database implements Queries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async rows<T extends QueryResultRow>(query: Sql): Promise<T[]> {
    return (await this.pool().query<T>(query.toQuery())).rows;
  }

  afterCommit(callback: () => void): void {
    setImmediate(callback);
  }

  async first<T extends QueryResultRow>(query: Sql): Promise<T | undefined> {
    return (await this.rows<T>(query))[0];
  }

  async prepared<T extends QueryResultRow>(name: string, query: Sql): Promise<T[]> {
    return (await this.pool().query<T>({ name, ...query.toQuery() })).rows;
  }

  /**
   * `work` in one transaction on one connection: committed when it resolves, rolled back when it
   * throws (and the connection discarded, in case the error was the connection's).
   */
  async transaction<T>(work: (tx: Queries) => Promise<T>): Promise<T> {
    const client = await this.pool().connect();
    // A connection lost mid-transaction fails the query in flight (and is discarded below); its
    // 'error' event, emitted while the pool is not listening, must not take the process down.
    client.on('error', ignoreError);
    try {
      await client.query('BEGIN');
      const committed: (() => void)[] = [];
      const result = await work(clientQueries(client, committed));
      await client.query('COMMIT');
      client.off('error', ignoreError);
      client.release();
      for (const callback of committed) setImmediate(callback);
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.off('error', ignoreError);
      client.release(error instanceof Error ? error : true);
      throw error;
    }
  }

  private pool(): Pool {
    const pool = pgPool(this.dataSource);
    // 08003 connection_does_not_exist: answered like any unreachable database (503).
    if (!pool) throw Object.assign(new Error('the database connection is not open'), { code: '08003' });
    return pool;
  }
}

function ignoreError(): void {}

function clientQueries(client: PoolClient, committed: (() => void)[]): Queries {
  const rows = async <T extends QueryResultRow>(query: Sql) => (await client.query<T>(query.toQuery())).rows;
  return {
    rows,
    first: async <T extends QueryResultRow>(query: Sql) => (await rows<T>(query))[0],
    prepared: async <T extends QueryResultRow>(name: string, query: Sql) =>
      (await client.query<T>({ name, ...query.toQuery() })).rows,
    afterCommit: (callback) => committed.push(callback),
  };
}

/** Provides `Database` everywhere; imported once, by the app module. */
@Global()
@Module({ providers: [Database], exports: [Database] })
export class DatabaseModule {}
