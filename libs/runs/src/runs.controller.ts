import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemDetailsDto, sendPage, ValidationProblemDto } from '@app/common';
import { ListRunsQueryDto } from './dto/list-runs-query.dto';
import { RecordRunDto } from './dto/record-run.dto';
import { RunResponseDto } from './dto/run-response.dto';
import { RunsService } from './runs.service';

@ApiTags('runs')
@Controller('api/capsules')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @Post('run')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Record a run of a capsule',
    description:
      'Answers 200 with the stored run, like the original service. Without instants, a finished run is recorded ' +
      'as finished now; `status: running` starts one (finish it later).',
  })
  @ApiOkResponse({ type: RunResponseDto })
  @ApiNotFoundResponse({ type: ProblemDetailsDto, description: 'Unknown capsule_slug (detail: "Capsule not found")' })
  @ApiUnprocessableEntityResponse({ type: ValidationProblemDto })
  async record(@Body() body: RecordRunDto): Promise<RunResponseDto> {
    return RunResponseDto.fromRow(await this.runs.record(body));
  }

  @Get('runs')
  @ApiOperation({
    summary: 'List runs, newest first (bare array)',
    description:
      'Ordered by started_at then id, both descending. Pages of 100 by default, at most 1000 (a larger limit is ' +
      'clamped); `Link: <…>; rel="next"` when more exist. An empty filter value is no filter; an unknown ' +
      'capsule_slug gives [].',
  })
  @ApiOkResponse({ type: [RunResponseDto] })
  @ApiBadRequestResponse({ type: ProblemDetailsDto, description: 'Malformed cursor' })
  @ApiUnprocessableEntityResponse({ type: ValidationProblemDto })
  async list(
    @Query() query: ListRunsQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RunResponseDto[]> {
    return sendPage(await this.runs.list(query), request, reply, (row) => RunResponseDto.fromRow(row));
  }
}
