import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyAuth, RequireScope } from '@app/auth';
import { ApiInvalidFields, ApiProblem, problemExample } from '@app/common';
import { ApiChannelNotFound, ChannelNameTakenError } from './alerts.errors';
import { ChannelsService } from './channels.service';
import { ChannelDto, CreateChannelDto, CreatedChannelDto, TestSendDto, UpdateChannelDto } from './dto/channel.dto';
import { NotificationPayloadDto } from './dto/notification.dto';

const ID_PARAM = { name: 'id', example: '7' };

/** Where notifications go: webhooks (Standard Webhooks), Slack, e-mail. Managed with an admin key. */
@ApiTags('alerts')
@ApiKeyAuth()
@ApiExtraModels(NotificationPayloadDto)
@Controller('api/channels')
export class ChannelsController {
  constructor(private readonly channels: ChannelsService) {}

  @Post()
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Create a notification channel (needs an admin key)',
    description:
      'Without `capsules`, `kinds` and `tags` the channel receives every capsule’s notifications; with them, ' +
      'those of the capsules matching any. A webhook’s answer carries its signing secret, this once. A webhook ' +
      'receives JSON POSTs shaped as the NotificationPayloadDto schema, signed per Standard Webhooks ' +
      '(`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`).',
  })
  @ApiCreatedResponse({ type: CreatedChannelDto })
  @ApiInvalidFields('/api/channels', 'Invalid fields, all listed in `errors`', {
    field: 'url',
    message: 'url must be an http or https URL',
  })
  @ApiProblem(409, 'The name is taken', problemExample(new ChannelNameTakenError('ops-webhook'), '/api/channels'))
  async create(@Body() body: CreateChannelDto): Promise<CreatedChannelDto> {
    const { channel, secret } = await this.channels.create(body);
    return { ...ChannelDto.fromRow(channel), ...(secret ? { secret } : {}) };
  }

  @Get()
  @ApiOperation({ summary: 'Every channel with its health (bare array, id order)' })
  @ApiOkResponse({ type: [ChannelDto] })
  async list(): Promise<ChannelDto[]> {
    return (await this.channels.list()).map((c) => ChannelDto.fromRow(c));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One channel with its health' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ChannelDto })
  @ApiChannelNotFound()
  async get(@Param('id') id: string): Promise<ChannelDto> {
    return ChannelDto.fromRow(await this.channels.get(id));
  }

  @Patch(':id')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Change a channel’s name, destination or routing (needs an admin key)' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ChannelDto })
  @ApiChannelNotFound()
  @ApiInvalidFields('/api/channels/7', 'Invalid fields, all listed in `errors`', {
    field: 'to',
    message: 'a webhook channel has no to',
  })
  @ApiProblem(409, 'The name is taken', problemExample(new ChannelNameTakenError('ops-webhook'), '/api/channels/7'))
  async update(@Param('id') id: string, @Body() body: UpdateChannelDto): Promise<ChannelDto> {
    return ChannelDto.fromRow(await this.channels.update(id, body));
  }

  @Delete(':id')
  @RequireScope('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a channel and its notifications (needs an admin key)' })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiChannelNotFound()
  async remove(@Param('id') id: string): Promise<void> {
    await this.channels.remove(id);
  }

  @Post(':id/test')
  @RequireScope('admin')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send a test notification now (needs an admin key)',
    description: 'One attempt, no retries; the answer says whether it was delivered. Logged in /api/notifications.',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: TestSendDto })
  @ApiChannelNotFound('/api/channels/7/test')
  async test(@Param('id') id: string): Promise<TestSendDto> {
    const outcome = await this.channels.test(id);
    return {
      delivered: outcome.delivered,
      status_code: outcome.statusCode,
      error: outcome.error,
      message_id: outcome.messageId,
    };
  }
}
