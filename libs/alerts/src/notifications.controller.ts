import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyAuth } from '@app/auth';
import {
  ApiInvalidCursor,
  ApiInvalidFields,
  decodeCursor,
  keysetPage,
  pageSize,
  readTimeIdPosition,
  sendPage,
} from '@app/common';
import { ListNotificationsQueryDto, NOTIFICATION_PAGE, NotificationDto } from './dto/notification.dto';
import { NotificationsRepository } from './notifications.repository';

@ApiTags('alerts')
@ApiKeyAuth()
@Controller('api/notifications')
export class NotificationsController {
  constructor(private readonly outbox: NotificationsRepository) {}

  @Get()
  @ApiOperation({
    summary: 'Notifications and their delivery attempts, newest first (bare array)',
    description:
      'Filters `capsule_slug`, `channel_id`, `status`. Pages of 100 by default, up to 1000; `Link: <…>; rel="next"` ' +
      'when more exist.',
  })
  @ApiOkResponse({ type: [NotificationDto] })
  @ApiInvalidCursor('/api/notifications')
  @ApiInvalidFields('/api/notifications', 'Invalid query parameters, all listed in `errors`', {
    field: 'status',
    message: 'status must be one of pending, delivered, failed',
  })
  async list(
    @Query() query: ListNotificationsQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<NotificationDto[]> {
    const limit = pageSize(query.limit, NOTIFICATION_PAGE.default, NOTIFICATION_PAGE.max);
    const after = query.cursor ? decodeCursor(query.cursor, readTimeIdPosition) : undefined;
    const rows = await this.outbox.list(
      { capsuleSlug: query.capsule_slug, channelId: query.channel_id, status: query.status, after },
      limit,
    );
    const page = keysetPage({ rows, cut: false }, limit, (last) => [last.created_at.toISOString(), Number(last.id)]);
    const attempts = await this.outbox.attempts(page.items.map((n) => n.id));
    return sendPage(page, request, reply, (n) =>
      NotificationDto.fromRow(
        n,
        attempts.filter((a) => a.notification_id === n.id),
      ),
    );
  }
}
