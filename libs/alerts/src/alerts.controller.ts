import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth } from '@app/auth';
import { ApiCapsuleNotFound, CapsulesService } from '@app/capsules';
import {
  ApiInvalidFields,
  ApiProblem,
  Clock,
  type FieldError,
  problemExample,
  RequestValidationError,
  toInstant,
} from '@app/common';
import { AlertsService } from './alerts.service';
import { NotSnoozedError } from './alerts.errors';
import { AlertSettingsDto, PatchAlertSettingsDto, SnoozeDto, SnoozeStateDto } from './dto/alert-settings.dto';
import { FlipHistoryDto, FlipsQueryDto } from './dto/flip.dto';
import { FlipsService } from './flips.service';

const SLUG_PARAM = { name: 'slug', example: 'dawn-dispatch' };
const ONE = '/api/capsules/dawn-dispatch';

/** A capsule's alerting: its rules and snooze, and its state history (flips). */
@ApiTags('alerts')
@ApiKeyAuth()
@Controller('api/capsules/:slug')
export class AlertsController {
  constructor(
    private readonly capsules: CapsulesService,
    private readonly alerts: AlertsService,
    private readonly flips: FlipsService,
    private readonly clock: Clock,
  ) {}

  @Get('alerts')
  @ApiOperation({ summary: 'The capsule’s alert status, rules in force and snooze' })
  @ApiParam(SLUG_PARAM)
  @ApiOkResponse({ type: AlertSettingsDto })
  @ApiCapsuleNotFound(`${ONE}/alerts`)
  async settings(@Param('slug') slug: string): Promise<AlertSettingsDto> {
    const capsule = await this.capsules.get(slug);
    return AlertSettingsDto.fromRow(capsule.slug, await this.alerts.settings(capsule.id));
  }

  @Patch('alerts')
  @ApiOperation({
    summary: 'Change the capsule’s alert rules or snooze',
    description:
      'Each rule given replaces the stored one; a rule set to null takes its default again. `snoozed_until` ' +
      'mutes notifications until then (flips are still recorded); null unmutes.',
  })
  @ApiParam(SLUG_PARAM)
  @ApiOkResponse({ type: AlertSettingsDto })
  @ApiCapsuleNotFound(`${ONE}/alerts`)
  @ApiInvalidFields(`${ONE}/alerts`, 'Invalid rules, all listed in `errors`', {
    field: 'rules.failure',
    message: 'failure takes either after, or rate and window',
  })
  async configure(@Param('slug') slug: string, @Body() body: PatchAlertSettingsDto): Promise<AlertSettingsDto> {
    const errors: FieldError[] = [];
    const failure = body.rules?.failure;
    if (failure && (failure.after !== undefined) === (failure.rate !== undefined || failure.window !== undefined)) {
      errors.push({ field: 'rules.failure', message: 'failure takes either after, or rate and window' });
    }
    if (failure && failure.rate !== undefined && failure.window === undefined) {
      errors.push({ field: 'rules.failure.window', message: 'failure.window is required with failure.rate' });
    }
    // Validated by IsInstant (null unmutes).
    const snoozedUntil = body.snoozed_until == null ? body.snoozed_until : toInstant(body.snoozed_until);
    if (errors.length) throw new RequestValidationError(errors);
    const capsule = await this.capsules.get(slug);
    const rules = body.rules ? (JSON.parse(JSON.stringify(body.rules)) as Record<string, unknown>) : undefined;
    // JSON drops the keys left out; a key sent as null is kept (it restores the default).
    return AlertSettingsDto.fromRow(capsule.slug, await this.alerts.configure(capsule.id, { rules, snoozedUntil }));
  }

  @Put('snooze')
  @ApiOperation({ summary: 'Mute the capsule’s notifications until an instant (flips are still recorded)' })
  @ApiParam(SLUG_PARAM)
  @ApiOkResponse({ type: SnoozeStateDto })
  @ApiCapsuleNotFound(`${ONE}/snooze`)
  @ApiInvalidFields(`${ONE}/snooze`, 'Invalid instant', {
    field: 'until',
    message: 'until must be in the future',
  })
  async snooze(@Param('slug') slug: string, @Body() body: SnoozeDto): Promise<SnoozeStateDto> {
    const until = toInstant(body.until);
    if (until <= this.clock.now()) {
      throw new RequestValidationError([{ field: 'until', message: 'until must be in the future' }]);
    }
    const capsule = await this.capsules.get(slug);
    await this.alerts.configure(capsule.id, { snoozedUntil: until });
    return { slug: capsule.slug, until: until.toISOString() };
  }

  @Get('snooze')
  @ApiOperation({ summary: 'Until when the capsule’s notifications are muted (404 when they are not)' })
  @ApiParam(SLUG_PARAM)
  @ApiOkResponse({ type: SnoozeStateDto })
  @ApiCapsuleNotFound(`${ONE}/snooze`)
  @ApiProblem(404, 'Not snoozed', problemExample(new NotSnoozedError('dawn-dispatch'), `${ONE}/snooze`))
  async snoozed(@Param('slug') slug: string): Promise<SnoozeStateDto> {
    const capsule = await this.capsules.get(slug);
    const { snoozed_until: until } = await this.alerts.settings(capsule.id);
    if (!until || until <= this.clock.now()) throw new NotSnoozedError(capsule.slug);
    return { slug: capsule.slug, until: until.toISOString() };
  }

  @Delete('snooze')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unmute the capsule’s notifications (also when they were not muted)' })
  @ApiParam(SLUG_PARAM)
  @ApiNoContentResponse({ description: 'Notifications are not muted' })
  @ApiCapsuleNotFound(`${ONE}/snooze`)
  async unsnooze(@Param('slug') slug: string): Promise<void> {
    const capsule = await this.capsules.get(slug);
    await this.alerts.configure(capsule.id, { snoozedUntil: null });
  }

  @Get('flips')
  @ApiOperation({
    summary: 'The capsule’s state changes in a window, with durations and the time spent down',
    description: 'Each flip carries the instant it happened (a deadline, a run’s completion), not when it was noticed.',
  })
  @ApiParam(SLUG_PARAM)
  @ApiOkResponse({ type: FlipHistoryDto })
  @ApiCapsuleNotFound(`${ONE}/flips`)
  @ApiInvalidFields(`${ONE}/flips`, 'Invalid query parameters', {
    field: 'window',
    message: 'window must be one of 24h, 7d, 30d, 90d',
  })
  async history(@Param('slug') slug: string, @Query() query: FlipsQueryDto): Promise<FlipHistoryDto> {
    const capsule = await this.capsules.get(slug);
    const history = await this.flips.history(capsule.id, query.window ?? '30d');
    return FlipHistoryDto.fromHistory(capsule.slug, history);
  }
}
