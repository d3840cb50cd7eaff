import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { Public } from '@app/auth';
import { Clock, isDatabaseUnavailable, Lifecycle, sqlState } from '@app/common';
import { Database, pendingMigrations, type Sql, sql } from '@app/database';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { LivenessDto, ServiceInfoDto } from './health.dto';
import { SERVICE_DESCRIPTION, SERVICE_NAME, SERVICE_VERSION } from '../service-info';

/**
 * Probes. Liveness answers never touch the database; readiness checks the
 * database and that every migration is applied.
 */
@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  /** This process's row in readiness_probe. */
  private readonly replica = `${hostname().slice(0, 40)}-${randomBytes(6).toString('hex')}`;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly lifecycle: Lifecycle,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Service information (old clients use it as a liveness probe)' })
  @ApiOkResponse({ type: ServiceInfoDto, description: 'The service, its version and where its docs are' })
  info(): ServiceInfoDto {
    return {
      service: SERVICE_NAME,
      version: SERVICE_VERSION,
      description: SERVICE_DESCRIPTION,
      api_docs: '/docs',
      capsules_api: '/api/docs',
    };
  }

  @Get(['health', 'api/health'])
  @ApiOperation({ summary: 'Liveness (original format): never touches the database' })
  @ApiOkResponse({ type: LivenessDto, description: 'The process is up (answered without the database)' })
  healthy(): LivenessDto {
    return { status: 'healthy', timestamp: this.clock.now().toISOString() };
  }

  @Get('health/live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness (Terminus format): no dependencies' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('health/ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: the database takes a write and every migration is applied; 503 otherwise and from SIGTERM on',
  })
  @ApiServiceUnavailableResponse({ description: 'Terminus result with the failing checks in `error`' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    if (this.lifecycle.draining) {
      const down = { shutdown: { status: 'down', message: 'shutting down: finishing in-flight requests' } };
      void reply.status(503);
      return { status: 'error', info: {}, error: down, details: down };
    }
    try {
      return await this.health.check([
        () =>
          this.indicators
            .check('database')
            // A write, not `SELECT 1`: a read-only node (standby, default_transaction_read_only) or a
            // full disk answers reads but fails every write, so it must not get traffic.
            .attempt(() => this.probe(async () => void (await this.db.rows(readinessWrite(this.replica)))))
            .withTimeout(2_000),
        () =>
          this.indicators
            .check('migrations')
            .attempt(() =>
              this.probe(async () => {
                const pending = await pendingMigrations(this.dataSource);
                if (pending.length > 0) throw new PendingMigrationsError(pending);
                return { applied: this.dataSource.migrations.length };
              }),
            )
            .withTimeout(2_000),
      ]);
    } catch (error) {
      const body = (error as { getResponse?: () => unknown }).getResponse?.();
      if (body === undefined) throw error;
      void reply.status(503);
      return body;
    }
  }

  /** Runs a check; a database error becomes a plain word, never the driver's text (addresses, SQL). */
  private async probe<T>(check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (error) {
      const state = sqlState(error);
      if (state === '25006') throw new Error('database is read-only', { cause: error });
      if (state?.startsWith('53')) throw new Error('database is out of resources (disk, memory)', { cause: error });
      if (isDatabaseUnavailable(error)) throw new Error('database unreachable', { cause: error });
      if (error instanceof PendingMigrationsError) throw error;
      throw new Error('check failed', { cause: error });
    }
  }
}

/**
 * The write readiness makes (migration CreateReadinessProbe): this replica's row, upserted; rows of
 * replicas gone for a day are deleted on the way, skipping any a stalled session holds.
 */
function readinessWrite(name: string): Sql {
  const replica = sql.value(name);
  return sql`
    WITH gone AS (
      DELETE FROM readiness_probe WHERE replica IN (
        SELECT replica FROM readiness_probe
        WHERE checked_at < now() - interval '1 day' AND replica <> ${replica}
        FOR UPDATE SKIP LOCKED))
    INSERT INTO readiness_probe (replica, checked_at) VALUES (${replica}, now())
    ON CONFLICT (replica) DO UPDATE SET checked_at = excluded.checked_at`;
}

/** Readiness fails with the names of the migrations still to apply (our own words, safe to show). */
class PendingMigrationsError extends Error {
  constructor(pending: string[]) {
    super(`${pending.length} pending: ${pending.join(', ')}`);
  }
}
