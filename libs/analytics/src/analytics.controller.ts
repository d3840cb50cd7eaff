import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { ValidationProblemDto } from '@app/common';
import { AnalyticsService } from './analytics.service';
import { PerformanceEntryDto } from './dto/performance-entry.dto';
import { PerformanceQueryDto } from './dto/performance-query.dto';
import { ScheduledEntryDto } from './dto/scheduled-entry.dto';

@ApiTags('analytics')
@Controller('api/capsules')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('performance')
  @ApiOperation({
    summary: 'Run statistics, one entry per capsule (also capsules without runs), slug order',
    description: 'success_rate is a 0-1 fraction; runtimes are over finished runs, in seconds.',
  })
  @ApiOkResponse({ type: [PerformanceEntryDto] })
  @ApiUnprocessableEntityResponse({ type: ValidationProblemDto })
  async performance(@Query() query: PerformanceQueryDto): Promise<PerformanceEntryDto[]> {
    return (await this.analytics.performance({ kind: query.kind })).map((row) => PerformanceEntryDto.fromRow(row));
  }

  @Get('scheduled')
  @ApiOperation({
    summary: 'Schedule state of every active capsule with a schedule, slug order',
    description: 'next_run is computed from the cron expression in the capsule time zone (DST-aware).',
  })
  @ApiOkResponse({ type: [ScheduledEntryDto] })
  scheduled(): Promise<ScheduledEntryDto[]> {
    return this.analytics.scheduled();
  }
}
