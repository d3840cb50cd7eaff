import type { DataSourceOptions } from 'typeorm';
import { clientWithQueryDeadline } from './deadline-client';
// Relative on purpose: Jest's global setup loads this file outside Jest's module mapper.
import { MIGRATIONS } from '../../../migrations';

/** How much longer than the statement timeout the client waits for an answer before it gives the session up. */
export const QUERY_DEADLINE_MARGIN_MS = 2_000;

/** Name of the table TypeORM records applied migrations in. */
export const MIGRATIONS_TABLE = 'schema_migrations';

export interface DatabaseSettings {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Largest number of pooled connections (default 10). */
  poolSize?: number;
  /** How long to wait for a free connection or a new one, in ms (default 5000). */
  connectionTimeoutMs?: number;
  /** Server-side statement timeout in ms; 0 disables it (default 15000). */
  statementTimeoutMs?: number;
  /** How long a statement waits for a lock, in ms; 0 (the default) waits as long as its statement may. */
  lockTimeoutMs?: number;
  /**
   * The app's REQUEST_TIMEOUT_MS: a query's client-side deadline (statement timeout + margin) never
   * outlasts the request that waits for it.
   */
  requestTimeoutMs?: number;
  /** `application_name` the server shows in pg_stat_activity. */
  applicationName?: string;
}

/**
 * The one place DataSource options are built: the Nest app, the standalone
 * migration command, the TypeORM CLI and the tests all call this, so they
 * agree on the migrations, the pool and the session settings.
 *
 * Sessions run in UTC, schema changes come only from migrations
 * (`synchronize` is always off), and a `where` with null/undefined values
 * throws instead of silently matching every row.
 */
export function buildDataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const statementTimeout = settings.statementTimeoutMs ?? 15_000;
  return {
    type: 'postgres',
    url: settings.url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    invalidWhereValuesBehavior: { null: 'throw', undefined: 'throw' },
    applicationName: settings.applicationName ?? 'capsules-api',
    poolSize: settings.poolSize ?? 10,
    connectTimeoutMS: settings.connectionTimeoutMs ?? 5_000,
    // Failed queries reach the problem filter, which logs them with the request id.
    logging: ['warn'],
    extra: {
      // node-postgres pool settings
      connectionTimeoutMillis: settings.connectionTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      // A peer that vanishes without a word is found on idle connections too, not only by a query.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // Every query ends by the statement timeout plus a margin, answered or not: a session that
      // stops answering is destroyed (the pool opens another), never handed to the next request.
      ...(statementTimeout > 0 ? { Client: clientWithQueryDeadline(queryDeadline(statementTimeout, settings)) } : {}),
      options: `-c TimeZone=UTC -c statement_timeout=${statementTimeout} -c lock_timeout=${settings.lockTimeoutMs ?? 0}`,
    },
  };
}

/** Statement timeout + margin, and never past the request timeout (nor before the statement timeout). */
function queryDeadline(statementTimeout: number, settings: DatabaseSettings): number {
  const deadline = statementTimeout + QUERY_DEADLINE_MARGIN_MS;
  if (settings.requestTimeoutMs === undefined) return deadline;
  return Math.max(statementTimeout, Math.min(deadline, settings.requestTimeoutMs));
}
