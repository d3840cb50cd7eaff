export * from './capsule.entity';
export * from './capsule.errors';
export * from './capsules.module';
export * from './capsules.service';
export * from './schedule/cron';
export * from './schedule/schedule-state';
export * from './schedule/local-day';
export * from './dto/capsule-response.dto';
