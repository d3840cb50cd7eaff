import {
  Body,
  Controller,
  createParamDecorator,
  type ExecutionContext,
  Get,
  Headers,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiCapsuleNotFound, CapsuleNotFoundError } from '@app/capsules';
import {
  ApiInvalidCursor,
  ApiInvalidFields,
  ApiProblem,
  ApiProblemOf,
  DomainError,
  problemExample,
  RequestValidationError,
  RequestValidationPipe,
  sendPage,
} from '@app/common';
import { BatchProblemDto, BatchQueryDto, BatchResultDto, MAX_BATCH_ITEMS } from './dto/batch.dto';
import { FinishRunDto } from './dto/finish-run.dto';
import { ListRunsQueryDto } from './dto/list-runs-query.dto';
import { RecordRunDto } from './dto/record-run.dto';
import { RunResponseDto } from './dto/run-response.dto';
import { RunsService } from './runs.service';
import { ApiKeyAuth } from '@app/auth';
import { FINAL_RUN_STATUSES, statusList } from '@app/database';
import { RUN_STATUSES } from './run.entity';
import { BatchRejectedError, RunAlreadyFinishedError, RunKeyConflictError, RunNotFoundError } from './run.errors';

const RUN_ID_PARAM = { name: 'id', example: '1234', description: 'Run id (digits)' };
const RUN = '/api/capsules/runs/1234';
const BAD_STATUS = { field: 'status', message: `status must be one of ${RUN_STATUSES.join(', ')}` };
const ApiRunNotFound = () => ApiProblem(404, 'No run with this id', problemExample(new RunNotFoundError('1234'), RUN));
const ApiRunFilters = (path: string) =>
  ApiInvalidFields(path, 'Invalid query parameters, all listed in `errors`', BAD_STATUS, {
    field: 'started_after',
    message: 'started_after must be an ISO-8601 instant',
  });
const BATCH_SHAPE_MESSAGE = `the body must be a JSON array of 1 to ${MAX_BATCH_ITEMS} run reports`;

/** The parsed JSON body as sent (a batch's items are validated one by one, not by the global pipe). */
const RawBody = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  return context.switchToHttp().getRequest<FastifyRequest>().body;
});

const LIST_DESCRIPTION =
  'Ordered by started_at then id, both descending. Pages of 100 by default, at most 1000 (a larger limit is ' +
  'clamped); `Link: <…>; rel="next"` when more exist. An empty filter value is no filter.';

@ApiTags('runs')
@ApiKeyAuth()
@Controller('api/capsules')
export class RunsController {
  private readonly validation = new RequestValidationPipe();

  constructor(private readonly runs: RunsService) {}

  @Post('run')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Record a run of a capsule',
    description:
      'Answers 200 with the stored run, like the original service. Without instants, a finished run is recorded ' +
      'as finished now; `status: running` starts one (finish it with PATCH /api/capsules/runs/{id}). With a ' +
      '`run_key` or an Idempotency-Key header, a retried report returns the same run (header ' +
      '`Idempotent-Replayed: true`) instead of recording another.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same meaning as run_key' })
  @ApiOkResponse({ type: RunResponseDto })
  @ApiCapsuleNotFound('/api/capsules/run', 'Unknown capsule_slug (detail: "Capsule not found")')
  @ApiProblem(
    409,
    'The run key was used with another capsule or payload',
    problemExample(new RunKeyConflictError('dawn-dispatch:2026-11-24T06:00Z', 1234), '/api/capsules/run'),
  )
  @ApiInvalidFields('/api/capsules/run', 'Invalid fields, all listed in `errors`', BAD_STATUS, {
    field: 'actor',
    message: 'actor must be longer than or equal to 1 and shorter than or equal to 120 characters',
  })
  async record(
    @Body() body: RecordRunDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RunResponseDto> {
    const { run, replayed } = await this.runs.record(body, idempotencyKey);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return RunResponseDto.fromRow(run);
  }

  @Post('runs/batch')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Record many runs in one request',
    description:
      `A JSON array of up to ${MAX_BATCH_ITEMS} run reports, each as POST /api/capsules/run takes it (a run_key in ` +
      'the body; no Idempotency-Key header). Answers 200 with one result per item in request order: stored, ' +
      'replayed (its run_key was recorded before, with the same report) or rejected with the problem the single ' +
      'route would have answered; one refused item does not keep the others from being stored. With ' +
      '`atomic=true`, any refused item stores nothing: 422 BATCH_REJECTED with every item’s result. The body ' +
      'limit is BATCH_BODY_LIMIT_BYTES (4 MiB by default).',
  })
  @ApiBody({ type: [RecordRunDto], description: `1 to ${MAX_BATCH_ITEMS} run reports` })
  @ApiOkResponse({ type: BatchResultDto })
  @ApiProblemOf(
    BatchProblemDto,
    422,
    'Not an array of 1 to 1000 items, a bad atomic, or (atomic=true) an item refused: BATCH_REJECTED',
    problemExample(
      new RequestValidationError([{ field: '(body)', message: BATCH_SHAPE_MESSAGE }]),
      '/api/capsules/runs/batch',
    ),
    problemExample(
      new BatchRejectedError([
        { outcome: 'skipped' },
        { outcome: 'rejected', problem: new CapsuleNotFoundError('no-such-capsule') },
      ]),
      '/api/capsules/runs/batch?atomic=true',
    ),
  )
  async recordBatch(
    @RawBody() body: unknown,
    @Query() query: BatchQueryDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<BatchResultDto> {
    if (idempotencyKey !== undefined) {
      throw new RequestValidationError([
        { field: 'Idempotency-Key', message: 'a batch takes no Idempotency-Key: give each item its run_key' },
      ]);
    }
    if (!Array.isArray(body) || body.length === 0 || body.length > MAX_BATCH_ITEMS) {
      throw new RequestValidationError([{ field: '(body)', message: BATCH_SHAPE_MESSAGE }]);
    }
    const items: (RecordRunDto | DomainError)[] = [];
    for (const item of body as unknown[]) items.push(await this.validReport(item));
    return BatchResultDto.of(await this.runs.recordBatch(items, query.atomic === 'true'));
  }

  /** One item of a batch as the single route's body: the report, or why it is refused. */
  private async validReport(item: unknown): Promise<RecordRunDto | DomainError> {
    try {
      return (await this.validation.transform(item, { type: 'body', metatype: RecordRunDto })) as RecordRunDto;
    } catch (error) {
      if (error instanceof DomainError) return error;
      throw error;
    }
  }

  @Get('runs')
  @ApiOperation({
    summary: 'List runs, newest first (bare array)',
    description: `${LIST_DESCRIPTION} An unknown capsule_slug gives [].`,
  })
  @ApiOkResponse({ type: [RunResponseDto] })
  @ApiInvalidCursor('/api/capsules/runs')
  @ApiRunFilters('/api/capsules/runs')
  async list(
    @Query() query: ListRunsQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RunResponseDto[]> {
    return sendPage(await this.runs.list(query), request, reply, (row) => RunResponseDto.fromRow(row));
  }

  @Get('runs/:id')
  @ApiOperation({ summary: 'One run' })
  @ApiParam(RUN_ID_PARAM)
  @ApiOkResponse({ type: RunResponseDto })
  @ApiRunNotFound()
  async get(@Param('id') id: string): Promise<RunResponseDto> {
    return RunResponseDto.fromRow(await this.runs.get(id));
  }

  @Patch('runs/:id')
  @ApiOperation({
    summary: 'Finish a running run, or add details while it runs',
    description:
      `A final status (${statusList(FINAL_RUN_STATUSES)}) finishes the run; completed_at defaults to now and ` +
      'must not precede started_at; duration_ms is derived. Repeating the same finish is answered 200 without ' +
      'change; finishing a finished run with another outcome is a 409.',
  })
  @ApiParam(RUN_ID_PARAM)
  @ApiOkResponse({ type: RunResponseDto })
  @ApiRunNotFound()
  @ApiProblem(
    409,
    'The run already finished with another outcome',
    problemExample(new RunAlreadyFinishedError(1234, 'success'), RUN),
  )
  @ApiInvalidFields(RUN, 'Invalid fields, all listed in `errors`', {
    field: 'completed_at',
    message: 'completed_at must not be before started_at',
  })
  async finish(@Param('id') id: string, @Body() body: FinishRunDto): Promise<RunResponseDto> {
    return RunResponseDto.fromRow(await this.runs.finish(id, body));
  }

  @Get(':slug/runs')
  @ApiOperation({ summary: 'The runs of one capsule, newest first (bare array)', description: LIST_DESCRIPTION })
  @ApiParam({ name: 'slug', example: 'dawn-dispatch' })
  @ApiOkResponse({ type: [RunResponseDto] })
  @ApiCapsuleNotFound('/api/capsules/dawn-dispatch/runs')
  @ApiInvalidCursor('/api/capsules/dawn-dispatch/runs')
  @ApiRunFilters('/api/capsules/dawn-dispatch/runs')
  async listForCapsule(
    @Param('slug') slug: string,
    @Query() query: ListRunsQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RunResponseDto[]> {
    return sendPage(await this.runs.listForCapsule(slug, query), request, reply, (row) => RunResponseDto.fromRow(row));
  }
}
