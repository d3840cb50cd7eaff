import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CapsuleNotFoundError } from '@app/capsules';
import { ApiInvalidCursor, ApiInvalidFields, ApiProblem, problemExample, sendPage } from '@app/common';
import { ArtifactNotFoundError } from './run.errors';
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
  @ApiInvalidCursor('/api/artifacts')
  @ApiInvalidFields('/api/artifacts', 'Missing or malformed checksum', {
    field: 'checksum',
    message: 'checksum must be a string',
  })
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
  @ApiProblem(
    404,
    'Unknown slug, or no run recorded an artifact',
    problemExample(new CapsuleNotFoundError('dawn-dispatch'), '/api/capsules/dawn-dispatch/artifacts/latest'),
    problemExample(new ArtifactNotFoundError('dawn-dispatch'), '/api/capsules/dawn-dispatch/artifacts/latest'),
  )
  async latest(@Param('slug') slug: string): Promise<ArtifactDto> {
    return ArtifactDto.fromRow(await this.runs.latestArtifact(slug));
  }
}
