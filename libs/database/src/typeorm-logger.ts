import type { Logger as PinoLogger } from 'pino';
import type { Logger as TypeOrmLogger } from 'typeorm';

/**
 * TypeORM's own messages (pool errors when the database goes away, slow
 * queries) as JSON log lines of the process logger rather than console
 * output. Failed queries are logged by the problem filter with the request
 * id, so they are only debug lines here.
 */
export class PinoTypeOrmLogger implements TypeOrmLogger {
  private readonly out: PinoLogger;

  constructor(logger: PinoLogger) {
    this.out = logger.child({ context: 'TypeORM' });
  }

  logQuery(): void {
    // Queries are not logged (volume); slow ones and failures are.
  }

  logQueryError(error: string | Error, query: string): void {
    this.out.debug({ err: error, query }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.out.warn({ duration_ms: time, query }, 'slow query');
  }

  logSchemaBuild(message: string): void {
    this.out.info(message);
  }

  logMigration(message: string): void {
    this.out.info(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    this.out[level === 'warn' ? 'warn' : 'info'](String(message));
  }
}
