import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { AnalyticsModule } from '@app/analytics';
import { AuthModule } from '@app/auth';
import { CapsulesModule } from '@app/capsules';
import { type AppConfig, type Clock, CommonModule } from '@app/common';
import { buildDataSourceOptions, DatabaseModule, PinoTypeOrmLogger } from '@app/database';
import { RunsModule } from '@app/runs';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';

export interface AppModuleOptions {
  config: AppConfig;
  /** Resolved database URL (DATABASE_URL, the embedded server, or a test database). */
  databaseUrl: string;
  /** Defaults to the system clock; tests pass a fixed one. */
  clock?: Clock;
  /** The process's pino logger (also Fastify's): Nest's own logs go through it via nestjs-pino. */
  logger: PinoLogger;
}

@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl, clock, logger }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CommonModule.forRoot(config, clock),
        // Fastify owns the request logger (one line per request, see configureApp); no pino-http middleware.
        LoggerModule.forRoot({ pinoHttp: { logger }, useExisting: true, forRoutes: [] }),
        TypeOrmModule.forRoot({
          ...buildDataSourceOptions({
            url: databaseUrl,
            poolSize: config.dbPoolSize,
            connectionTimeoutMs: config.dbConnectionTimeoutMs,
            statementTimeoutMs: config.dbStatementTimeoutMs,
            requestTimeoutMs: config.requestTimeoutMs,
          }),
          autoLoadEntities: true,
          logger: new PinoTypeOrmLogger(logger),
          retryAttempts: config.nodeEnv === 'test' ? 0 : 10,
          retryDelay: 2_000,
        }),
        DatabaseModule,
        AuthModule,
        HealthModule,
        MetricsModule,
        CapsulesModule,
        RunsModule,
        AnalyticsModule,
      ],
    };
  }
}
