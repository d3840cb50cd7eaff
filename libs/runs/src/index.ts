export * from './run.entity';
export * from './runs.module';
export * from './runs.service';
