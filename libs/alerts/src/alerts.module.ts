import { Module } from '@nestjs/common';
import { CapsulesModule } from '@app/capsules';
import { AlertDetector } from './alert-detector';
import { AlertsController } from './alerts.controller';
import { AlertsMetrics } from './alerts-metrics';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { ChannelSender } from './channels/channel-sender';
import { ChannelsController } from './channels.controller';
import { ChannelsRepository } from './channels.repository';
import { ChannelsService } from './channels.service';
import { FlipsService } from './flips.service';
import { NotificationsController } from './notifications.controller';
import { NotificationDelivery } from './notification-delivery';
import { NotificationsRepository } from './notifications.repository';

/**
 * Alerts: flips (from run reports, in their transaction, and from the detector), rules per
 * capsule, channels, and the outbox of notifications with its delivery worker.
 */
@Module({
  imports: [CapsulesModule],
  controllers: [AlertsController, ChannelsController, NotificationsController],
  providers: [
    AlertsRepository,
    AlertsService,
    AlertDetector,
    ChannelSender,
    NotificationsRepository,
    NotificationDelivery,
    ChannelsRepository,
    ChannelsService,
    FlipsService,
    AlertsMetrics,
  ],
  exports: [AlertsService, AlertsMetrics],
})
export class AlertsModule {}
