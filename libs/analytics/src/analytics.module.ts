import { Module } from '@nestjs/common';
import { CapsulesModule } from '@app/capsules';
import { SchedulesModule } from '@app/schedules';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsRepository } from './analytics.repository';
import { AnalyticsService } from './analytics.service';

@Module({
  imports: [CapsulesModule, SchedulesModule],
  controllers: [AnalyticsController],
  providers: [AnalyticsRepository, AnalyticsService],
  exports: [AnalyticsService],
})
export class AnalyticsModule {}
