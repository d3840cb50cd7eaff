export * from './analytics.module';
export * from './analytics.service';
export type { RollupTotals } from './analytics.repository';
