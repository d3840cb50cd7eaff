export * from './alert-rules';
export * from './alerts.module';
export { AlertsService, type ReportedRun } from './alerts.service';
export { AlertsMetrics, type AlertsSnapshot } from './alerts-metrics';
export type { LockedAlertRow } from './alerts.repository';
