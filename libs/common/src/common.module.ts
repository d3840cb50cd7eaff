import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from './config/app-config';
import { Lifecycle } from './lifecycle/lifecycle';
import { Clock, SystemClock } from './time/clock';

/** Injection token of the validated AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Global providers every module may inject: the config and the clock. */
@Module({})
export class CommonModule {
  static forRoot(config: AppConfig, clock: Clock = new SystemClock()): DynamicModule {
    return {
      module: CommonModule,
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }, { provide: Clock, useValue: clock }, Lifecycle],
      exports: [APP_CONFIG, Clock, Lifecycle],
    };
  }
}
