import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyAuth } from '@app/auth';
import { ApiCapsuleNotFound, CapsulesService } from '@app/capsules';
import {
  ApiInvalidCursor,
  ApiInvalidFields,
  Clock,
  decodeCursor,
  encodeCursor,
  pageSize,
  readCursorInstant,
  recentRange,
  RequestValidationError,
  sendPage,
} from '@app/common';
import { type LedgerPosition, ledgerPosition, SlotsService } from '@app/schedules';
import { SLOT_PAGE, SlotEntryDto, SlotsQueryDto, UptimeDto, UptimeQueryDto } from './dto/slots.dto';

const SLUG_PARAM = { name: 'slug', example: 'dawn-dispatch' };
const ONE = '/api/capsules/dawn-dispatch';
const DEFAULT_RANGE_MS = 30 * 86_400_000;

/** The schedule ledger: every expected run of a capsule and how it ended (libs/schedules/src/slots.ts). */
@ApiTags('analytics')
@ApiKeyAuth()
@Controller('api/capsules/:slug')
export class SlotsController {
  constructor(
    private readonly capsules: CapsulesService,
    private readonly slots: SlotsService,
    private readonly clock: Clock,
  ) {}

  @Get('slots')
  @ApiOperation({
    summary: 'Every slot the schedule produced in a range and how it ended, newest first (bare array)',
    description:
      'A slot is a fire time of the schedule in force then (schedule changes are in the version history). ' +
      'on_time: a run started within grace_seconds; late: after grace, before the next slot; missed: no run ' +
      'before the next slot; pending: the slot is not over; paused: the capsule was archived. Runs that match ' +
      'no slot (duplicates, runs while the capsule had no schedule) are entries with outcome extra, at their ' +
      'start. Pages of 100 by default, up to 1000; `Link: <…>; rel="next"` when more exist.',
  })
  @ApiParam(SLUG_PARAM)
  @ApiOkResponse({ type: [SlotEntryDto] })
  @ApiCapsuleNotFound(`${ONE}/slots`)
  @ApiInvalidCursor(`${ONE}/slots`)
  @ApiInvalidFields(`${ONE}/slots`, 'Invalid query parameters, all listed in `errors`', {
    field: 'from',
    message: 'from must be before to',
  })
  async list(
    @Param('slug') slug: string,
    @Query() query: SlotsQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SlotEntryDto[]> {
    const to = query.to ?? this.clock.now();
    const from = query.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
    if (from >= to) throw new RequestValidationError([{ field: 'from', message: 'from must be before to' }]);
    const after = query.cursor ? decodeCursor(query.cursor, readLedgerPosition) : undefined;
    const capsule = await this.capsules.get(slug);
    const limit = pageSize(query.limit, SLOT_PAGE.default, SLOT_PAGE.max);
    const { entries, more } = await this.slots.page(capsule.id, { from, to }, limit, after);
    const last = entries.at(-1);
    const position = last && ledgerPosition(last);
    const next = more && position ? encodeCursor([position.at.toISOString(), position.seq]) : undefined;
    return sendPage({ items: entries, next }, request, reply, (e) => SlotEntryDto.fromEntry(e));
  }

  @Get('uptime')
  @ApiOperation({
    summary: 'How the capsule’s slots in a window ended: expected, on time, late, missed, and the on-time ratio',
  })
  @ApiParam(SLUG_PARAM)
  @ApiOkResponse({ type: UptimeDto })
  @ApiCapsuleNotFound(`${ONE}/uptime`)
  @ApiInvalidFields(`${ONE}/uptime`, 'Invalid query parameters', {
    field: 'window',
    message: 'window must be one of 24h, 7d, 30d, 90d',
  })
  async uptime(@Param('slug') slug: string, @Query() query: UptimeQueryDto): Promise<UptimeDto> {
    const capsule = await this.capsules.get(slug);
    const window = query.window ?? '30d';
    const { from, to } = recentRange(window, this.clock.now());
    // Up to now inclusive: a slot at this very instant counts as pending.
    const counts = await this.slots.counts(capsule.id, from, new Date(to.getTime() + 1));
    return UptimeDto.fromCounts(capsule.slug, window, from, to, counts);
  }
}

/** A ledger cursor: [instant as the columns hold it, 0 or an extra run's id]. */
function readLedgerPosition(values: unknown[]): LedgerPosition | undefined {
  if (values.length !== 2) return undefined;
  const [at, seq] = values;
  const instant = readCursorInstant(at);
  if (!instant || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  return { at: instant, seq };
}
