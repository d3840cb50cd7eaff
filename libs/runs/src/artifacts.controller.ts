import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemDetailsDto, sendPage, ValidationProblemDto } from '@app/common';
import { ArtifactDto, ArtifactsQueryDto } from './dto/artifact.dto';
import { RunResponseDto } from './dto/run-response.dto';
import { RunsService } from './runs.service';
import { ApiKeyAuth } from '@app/auth';

@ApiTags('artifacts')
@ApiKeyAuth()
@Controller('api')
export class ArtifactsController {
  constructor(private readonly runs: RunsService) {}

  @Get('artifacts')
  @ApiOperation({
    summary: 'Which runs produced this content (by checksum), newest first (bare array)',
    description: 'Pages of 100 by default, at most 1000; `Link: <…>; rel="next"` when more exist.',
  })
  @ApiOkResponse({ type: [RunResponseDto] })
  @ApiBadRequestResponse({ type: ProblemDetailsDto, description: 'Malformed cursor' })
  @ApiUnprocessableEntityResponse({ type: ValidationProblemDto, description: 'Missing or malformed checksum' })
  async byChecksum(
    @Query() query: ArtifactsQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RunResponseDto[]> {
    return sendPage(await this.runs.byChecksum(query), request, reply, (row) => RunResponseDto.fromRow(row));
  }

  @Get('capsules/:slug/artifacts/latest')
  @ApiOperation({ summary: 'The artifact of the newest run of a capsule that recorded one' })
  @ApiParam({ name: 'slug', example: 'dawn-dispatch' })
  @ApiOkResponse({ type: ArtifactDto })
  @ApiNotFoundResponse({ type: ProblemDetailsDto, description: 'Unknown slug, or no run recorded an artifact' })
  async latest(@Param('slug') slug: string): Promise<ArtifactDto> {
    return ArtifactDto.fromRow(await this.runs.latestArtifact(slug));
  }
}
