import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemDetailsDto, sendPage, ValidationProblemDto } from '@app/common';
import { CapsulesService } from './capsules.service';
import { CapsuleResponseDto, VocabularyDto } from './dto/capsule-response.dto';
import { ListCapsulesQueryDto } from './dto/list-capsules-query.dto';
import { UpsertCapsuleDto } from './dto/upsert-capsule.dto';

@ApiTags('capsules')
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
  @ApiUnprocessableEntityResponse({ type: ValidationProblemDto, description: 'Invalid fields, all listed in `errors`' })
  async register(@Body() body: UpsertCapsuleDto): Promise<CapsuleResponseDto> {
    return CapsuleResponseDto.fromEntity(await this.capsules.register(body));
  }

  @Get()
  @ApiOperation({
    summary: 'List capsules (bare array, slug order)',
    description:
      'Filters `kind`, `mode`, `status` (an empty value is no filter). Pages of up to 1000 (the default and the ' +
      'maximum); `Link: <…>; rel="next"` when more exist.',
  })
  @ApiOkResponse({ type: [CapsuleResponseDto] })
  @ApiBadRequestResponse({ type: ProblemDetailsDto, description: 'Malformed cursor' })
  @ApiUnprocessableEntityResponse({ type: ValidationProblemDto })
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
}
