import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyAuth, ApiKeyName, RequireScope } from '@app/auth';
import { ApiInvalidCursor, ApiInvalidFields, ApiProblem, PageQueryDto, problemExample, sendPage } from '@app/common';
import { ApiCapsuleNotFound, CapsuleNotScheduledError } from './capsule.errors';
import { CapsulesService } from './capsules.service';
import { CapsuleDetailDto, CapsuleResponseDto, CapsuleVersionDto, VocabularyDto } from './dto/capsule-response.dto';
import { ListCapsulesQueryDto } from './dto/list-capsules-query.dto';
import { FireTimeDto, ScheduleQueryDto } from './dto/schedule.dto';
import { PatchCapsuleDto, UpsertCapsuleDto } from './dto/upsert-capsule.dto';

const SLUG_PARAM = { name: 'slug', example: 'dawn-dispatch' };
const ONE = '/api/capsules/dawn-dispatch';

const BAD_SLUG = {
  field: 'slug',
  message: 'slug must contain only lowercase letters, digits and "-" (1-120 characters)',
};
const LIMIT_TOO_SMALL = { field: 'limit', message: 'limit must be at least 1' };

@ApiTags('capsules')
@ApiKeyAuth()
@Controller('api/capsules')
export class CapsulesController {
  constructor(private readonly capsules: CapsulesService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Register a capsule, or update the one with this slug (upsert)',
    description:
      'Answers 200 in both cases, like the original service. On update, optional fields left out keep their ' +
      'stored values; `created_at` stays and `updated_at` moves. Unknown fields are rejected.',
  })
  @ApiOkResponse({ type: CapsuleResponseDto, description: 'The stored capsule' })
  @ApiInvalidFields('/api/capsules', 'Invalid fields, all listed in `errors`', BAD_SLUG, {
    field: 'owner',
    message: 'owner is not a known field',
  })
  async register(@Body() body: UpsertCapsuleDto, @ApiKeyName() keyName?: string): Promise<CapsuleResponseDto> {
    return CapsuleResponseDto.fromEntity(await this.capsules.register(body, keyName));
  }

  @Get()
  @ApiOperation({
    summary: 'List capsules (bare array, slug order)',
    description:
      'Filters `kind`, `mode`, `status` (an empty value is no filter). Pages of up to 1000 (the default and the ' +
      'maximum); `Link: <…>; rel="next"` when more exist.',
  })
  @ApiOkResponse({ type: [CapsuleResponseDto] })
  @ApiInvalidCursor('/api/capsules')
  @ApiInvalidFields('/api/capsules', 'Invalid query parameters, all listed in `errors`', {
    field: 'status',
    message: 'status must be one of active, archived',
  })
  async list(
    @Query() query: ListCapsulesQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CapsuleResponseDto[]> {
    return sendPage(await this.capsules.list(query), request, reply, (c) => CapsuleResponseDto.fromEntity(c));
  }

  @Get('vocabulary')
  @ApiOperation({ summary: 'The distinct kinds and modes in use (both are free vocabularies)' })
  @ApiOkResponse({ type: VocabularyDto })
  vocabulary(): Promise<VocabularyDto> {
    return this.capsules.vocabulary();
  }

  @Get(':slug')
  @ApiOperation({ summary: 'One capsule, with its schedule state and next run' })
  @ApiParam(SLUG_PARAM)
  @ApiOkResponse({ type: CapsuleDetailDto })
  @ApiCapsuleNotFound()
  async get(@Param('slug') slug: string): Promise<CapsuleDetailDto> {
    const { capsule, state, nextRun, lastRun } = await this.capsules.detail(slug);
    return {
      ...CapsuleResponseDto.fromEntity(capsule),
      state,
      next_run: nextRun?.toISOString() ?? null,
      last_run: lastRun?.toISOString() ?? null,
    };
  }

  @Patch(':slug')
  @ApiOperation({
    summary: 'Change some fields of a capsule (not its slug)',
    description: 'Validated like a registration. A change of the definition stores a new version.',
  })
  @ApiParam(SLUG_PARAM)
  @ApiOkResponse({ type: CapsuleResponseDto })
  @ApiCapsuleNotFound()
  @ApiInvalidFields(ONE, 'Invalid fields (or none given), all listed in `errors`', {
    field: 'timezone',
    message: 'timezone must be an IANA time zone name such as UTC or Europe/Paris',
  })
  async update(
    @Param('slug') slug: string,
    @Body() body: PatchCapsuleDto,
    @ApiKeyName() keyName?: string,
  ): Promise<CapsuleResponseDto> {
    return CapsuleResponseDto.fromEntity(await this.capsules.update(slug, body, keyName));
  }

  @Delete(':slug')
  @RequireScope('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a capsule with its runs and versions (needs an admin key)' })
  @ApiParam(SLUG_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiCapsuleNotFound()
  async remove(@Param('slug') slug: string): Promise<void> {
    await this.capsules.remove(slug);
  }

  @Get(':slug/versions')
  @ApiOperation({
    summary: 'Every version of the capsule definition, newest first (bare array)',
    description: 'A version is stored for each change made through POST or PATCH; a no-op re-registration stores none.',
  })
  @ApiParam(SLUG_PARAM)
  @ApiOkResponse({ type: [CapsuleVersionDto] })
  @ApiCapsuleNotFound(`${ONE}/versions`)
  @ApiInvalidCursor(`${ONE}/versions`)
  @ApiInvalidFields(`${ONE}/versions`, 'Invalid query parameters, all listed in `errors`', LIMIT_TOO_SMALL)
  async versions(
    @Param('slug') slug: string,
    @Query() query: PageQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CapsuleVersionDto[]> {
    return sendPage(await this.capsules.versions(slug, query), request, reply, (v) => CapsuleVersionDto.fromRow(v));
  }

  @Get(':slug/schedule')
  @ApiOperation({
    summary: 'The next fire times of the capsule schedule',
    description:
      'The next `count` (1-100, default 5) fire times strictly after `after` (default now), computed in the ' +
      'capsule time zone with the Debian cron / cronsim DST rule.',
  })
  @ApiParam(SLUG_PARAM)
  @ApiOkResponse({ type: [FireTimeDto] })
  @ApiCapsuleNotFound(`${ONE}/schedule`)
  @ApiProblem(
    409,
    'The capsule has no schedule',
    problemExample(new CapsuleNotScheduledError('dawn-dispatch'), `${ONE}/schedule`),
  )
  @ApiInvalidFields(`${ONE}/schedule`, 'Invalid query parameters, all listed in `errors`', {
    field: 'count',
    message: 'count must not be greater than 100',
  })
  async schedule(@Param('slug') slug: string, @Query() query: ScheduleQueryDto): Promise<FireTimeDto[]> {
    const times = await this.capsules.fireTimes(slug, query.count ?? 5, query.after);
    return times.map(({ at, local }) => ({ at: at.toISOString(), local }));
  }
}
