export * from './run.entity';
export * from './runs.module';
