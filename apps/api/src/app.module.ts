import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AnalyticsModule } from '@app/analytics';
import { CapsulesModule } from '@app/capsules';
import { type AppConfig, type Clock, CommonModule } from '@app/common';
import { buildDataSourceOptions } from '@app/database';
import { RunsModule } from '@app/runs';
import { HealthModule } from './health/health.module';

export interface AppModuleOptions {
  config: AppConfig;
  /** Resolved database URL (DATABASE_URL, the embedded server, or a test database). */
  databaseUrl: string;
  /** Defaults to the system clock; tests pass a fixed one. */
  clock?: Clock;
}

@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl, clock }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CommonModule.forRoot(config, clock),
        TypeOrmModule.forRoot({
          ...buildDataSourceOptions({
            url: databaseUrl,
            poolSize: config.dbPoolSize,
            connectionTimeoutMs: config.dbConnectionTimeoutMs,
            statementTimeoutMs: config.dbStatementTimeoutMs,
          }),
          autoLoadEntities: true,
          retryAttempts: config.nodeEnv === 'test' ? 0 : 10,
          retryDelay: 2_000,
        }),
        HealthModule,
        CapsulesModule,
        RunsModule,
        AnalyticsModule,
      ],
    };
  }
}
