export * from './cron';
export * from './local-day';
export * from './schedule-state';
export * from './schedules.module';
export * from './schedules.service';
export type { RunSummary, ScheduleDefinition, ScheduledRow } from './schedules.repository';
export * from './slots';
export * from './slots.service';
export * from './slot-closer';
