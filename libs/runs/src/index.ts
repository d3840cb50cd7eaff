export * from './run.entity';
export * from './runs.module';
export * from './runs.service';
export * from './window-base-keeper';
export * from './window-bases.repository';
