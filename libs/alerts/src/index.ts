export * from './alert-rules';
export * from './alerts.module';
export { AlertsService, type ReportedRun } from './alerts.service';
