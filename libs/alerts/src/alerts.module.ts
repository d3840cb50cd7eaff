import { Module } from '@nestjs/common';
import { CapsulesModule } from '@app/capsules';
import { AlertDetector } from './alert-detector';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { ChannelSender } from './channels/channel-sender';
import { NotificationDelivery } from './notification-delivery';
import { NotificationsRepository } from './notifications.repository';

/**
 * Alerts: flips (from run reports, in their transaction, and from the detector), rules per
 * capsule, channels, and the outbox of notifications with its delivery worker.
 */
@Module({
  imports: [CapsulesModule],
  controllers: [],
  providers: [
    AlertsRepository,
    AlertsService,
    AlertDetector,
    ChannelSender,
    NotificationsRepository,
    NotificationDelivery,
  ],
  exports: [AlertsService],
})
export class AlertsModule {}
