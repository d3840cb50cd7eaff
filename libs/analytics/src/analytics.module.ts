import { Module } from '@nestjs/common';
import { CapsulesModule } from '@app/capsules';
import { SchedulesModule } from '@app/schedules';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsRepository } from './analytics.repository';
import { AnalyticsService } from './analytics.service';
import { SlotsController } from './slots.controller';

@Module({
  imports: [CapsulesModule, SchedulesModule],
  controllers: [AnalyticsController, SlotsController],
  providers: [AnalyticsRepository, AnalyticsService],
  exports: [AnalyticsService],
})
export class AnalyticsModule {}
