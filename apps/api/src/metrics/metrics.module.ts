import { Module } from '@nestjs/common';
import { AlertsModule } from '@app/alerts';
import { AnalyticsModule } from '@app/analytics';
import { RunsModule } from '@app/runs';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({
  imports: [AnalyticsModule, AlertsModule, RunsModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
