import { Module } from '@nestjs/common';
import { AlertsModule } from '@app/alerts';
import { AnalyticsModule } from '@app/analytics';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({
  imports: [AnalyticsModule, AlertsModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
