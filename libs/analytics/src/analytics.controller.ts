import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ApiCapsuleNotFound } from '@app/capsules';
import { SCHEDULE_STATES } from '@app/schedules';
import { ApiConditionalRead, ApiInvalidFields, sendAnswer, VERSIONED_ANSWER_HEADERS } from '@app/common';
import { AnalyticsService } from './analytics.service';
import { BUCKETS, PerformanceQueryDto, ScheduledQueryDto, StatsQueryDto, WINDOWS } from './dto/analytics-query.dto';
import { KindPerformanceDto, PerformanceEntryDto, RevisionStatsDto, StatsBucketDto } from './dto/performance-entry.dto';
import { ScheduledEntryDto } from './dto/scheduled-entry.dto';
import { ApiKeyAuth } from '@app/auth';

const WINDOW_ERROR = { field: 'window', message: `window must be one of ${WINDOWS.join(', ')}` };

@ApiTags('analytics')
@ApiKeyAuth()
@Controller('api/capsules')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('performance')
  @ApiOperation({
    summary: 'Run statistics, one entry per capsule (also capsules without runs), slug order',
    description:
      'Served from rollups kept as runs are written: the cost does not grow with the number of stored runs. ' +
      'success_rate is a 0-1 fraction; avg_runtime_seconds is exact; p50/p95 are nearest-rank estimates ' +
      'within 9.05 %. With group_by=kind, one entry per kind (KindPerformanceDto). With revision=current ' +
      '(and window=all), only the runs of each capsule’s current definition revision count. Conditional: ' +
      'the ETag changes with every write to the ledger (and, for a window, as the window moves on).',
  })
  @ApiExtraModels(PerformanceEntryDto, KindPerformanceDto)
  // anyOf, not oneOf: [] (no capsule, or no capsule of that kind) is an array of either entry.
  @ApiOkResponse({
    description: 'PerformanceEntryDto entries, or KindPerformanceDto entries with group_by=kind',
    headers: VERSIONED_ANSWER_HEADERS,
    schema: {
      anyOf: [
        { type: 'array', items: { $ref: getSchemaPath(PerformanceEntryDto) } },
        { type: 'array', items: { $ref: getSchemaPath(KindPerformanceDto) } },
      ],
    },
  })
  @ApiConditionalRead()
  @ApiInvalidFields('/api/capsules/performance', 'Invalid query parameters, all listed in `errors`', WINDOW_ERROR)
  async performance(
    @Query() query: PerformanceQueryDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendAnswer(request, reply, await this.analytics.performanceAnswer(query));
  }

  @Get('scheduled')
  @ApiOperation({
    summary: 'Schedule state of every active capsule with a schedule, slug order',
    description:
      'next_run is computed from the cron expression in the capsule time zone (DST-aware); runs_today counts ' +
      'the runs started since the start of the current day in the capsule time zone. Filter with ?state=. ' +
      'Conditional: the ETag changes with every write to the ledger and whenever time changes an entry.',
  })
  @ApiOkResponse({ type: [ScheduledEntryDto], headers: VERSIONED_ANSWER_HEADERS })
  @ApiConditionalRead()
  @ApiInvalidFields('/api/capsules/scheduled', 'Invalid query parameters, all listed in `errors`', {
    field: 'state',
    message: `state must be one of ${SCHEDULE_STATES.join(', ')}`,
  })
  async scheduled(
    @Query() query: ScheduledQueryDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendAnswer(request, reply, await this.analytics.scheduledAnswer(query));
  }

  @Get(':slug/stats')
  @ApiOperation({
    summary: 'Counts, success rate and runtime percentiles per hour or day, for charts; or per definition revision',
    description:
      'One entry per UTC bucket of the window, oldest first, empty buckets included (StatsBucketDto). With ' +
      'group_by=revision, one entry per definition revision that has runs, newest first, all time ' +
      '(RevisionStatsDto), from rollups kept per revision: exact counts, percentiles within 9.05 %.',
  })
  @ApiParam({ name: 'slug', example: 'dawn-dispatch' })
  @ApiExtraModels(StatsBucketDto, RevisionStatsDto)
  @ApiOkResponse({
    description: 'StatsBucketDto entries, or RevisionStatsDto entries with group_by=revision',
    schema: {
      anyOf: [
        { type: 'array', items: { $ref: getSchemaPath(StatsBucketDto) } },
        { type: 'array', items: { $ref: getSchemaPath(RevisionStatsDto) } },
      ],
    },
  })
  @ApiCapsuleNotFound('/api/capsules/dawn-dispatch/stats')
  @ApiInvalidFields('/api/capsules/dawn-dispatch/stats', 'Invalid query parameters, all listed in `errors`', {
    field: 'bucket',
    message: `bucket must be one of ${BUCKETS.join(', ')}`,
  })
  stats(@Param('slug') slug: string, @Query() query: StatsQueryDto): Promise<StatsBucketDto[] | RevisionStatsDto[]> {
    return query.group_by === 'revision' ? this.analytics.statsByRevision(slug) : this.analytics.stats(slug, query);
  }
}
