import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { problemBody, ProblemDetailsDto, type ProblemBody, ValidationProblemDto } from '@app/common';
import type { BatchItemResult } from '../runs.service';
import { RunResponseDto } from './run-response.dto';

/** At most this many reports in one batch. */
export const MAX_BATCH_ITEMS = 1000;

/** An item refused for an unknown capsule, as the examples show it. */
const REFUSED_ITEM_EXAMPLE = {
  index: 1,
  outcome: 'rejected',
  problem: {
    type: 'urn:capsules:problem:capsule-not-found',
    title: 'Not Found',
    status: 404,
    detail: 'Capsule not found',
    code: 'CAPSULE_NOT_FOUND',
  },
};

export const BATCH_OUTCOMES = ['stored', 'replayed', 'rejected', 'skipped'] as const;

/** What became of one item of POST /api/capsules/runs/batch, at its index in the request. */
export class BatchItemResultDto {
  @ApiProperty({ example: 0, description: 'The item’s position in the request (0-based)' })
  index!: number;

  @ApiProperty({
    enum: BATCH_OUTCOMES,
    example: 'stored',
    description:
      'stored: recorded now; replayed: its run_key was recorded before with the same report (the run as stored ' +
      'then); rejected: refused, see `problem`; skipped: an atomic batch stored nothing because of another item',
  })
  outcome!: (typeof BATCH_OUTCOMES)[number];

  @ApiPropertyOptional({ type: RunResponseDto, description: 'The run (stored and replayed items)' })
  run?: RunResponseDto;

  @ApiPropertyOptional({
    type: ProblemDetailsDto,
    description: 'Why the item was refused: the problem POST /api/capsules/run would have answered for it',
  })
  problem?: ProblemBody;

  static of(result: BatchItemResult, index: number): BatchItemResultDto {
    switch (result.outcome) {
      case 'stored':
      case 'replayed':
        return { index, outcome: result.outcome, run: RunResponseDto.fromRow(result.run) };
      case 'rejected':
        return { index, outcome: 'rejected', problem: problemBody(result.problem) };
      case 'skipped':
        return { index, outcome: 'skipped' };
    }
  }
}

/** The answer to POST /api/capsules/runs/batch. */
export class BatchResultDto {
  @ApiProperty({ example: 2, description: 'Items recorded now' })
  stored!: number;

  @ApiProperty({ example: 0, description: 'Items whose run_key was recorded before (nothing new stored)' })
  replayed!: number;

  @ApiProperty({ example: 1, description: 'Items refused (each with its problem in `results`)' })
  rejected!: number;

  @ApiProperty({
    type: [BatchItemResultDto],
    description: 'One result per item, in request order',
    example: [
      {
        index: 0,
        outcome: 'stored',
        run: {
          id: 1234,
          capsule_slug: 'dawn-dispatch',
          actor: 'cron@scheduler-1',
          status: 'success',
          started_at: '2026-11-24T06:00:00.000Z',
          completed_at: '2026-11-24T06:00:12.500Z',
          duration_ms: 12500,
          artifact_uri: null,
          checksum: null,
          exit_code: 0,
          message: null,
          run_key: 'dawn-dispatch:2026-11-24T06:00Z',
          capsule_revision: 3,
        },
      },
      REFUSED_ITEM_EXAMPLE,
    ],
  })
  results!: BatchItemResultDto[];

  static of(results: BatchItemResult[]): BatchResultDto {
    const count = (outcome: BatchItemResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
    return {
      stored: count('stored'),
      replayed: count('replayed'),
      rejected: count('rejected'),
      results: results.map((result, index) => BatchItemResultDto.of(result, index)),
    };
  }
}

/** The query of POST /api/capsules/runs/batch. */
export class BatchQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'true: all or nothing (default false: each item on its own)',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'atomic must be true or false' })
  atomic?: 'true' | 'false';
}

/** The 422 of POST /api/capsules/runs/batch: a validation problem, or an atomic batch refused (`results`). */
export class BatchProblemDto extends ValidationProblemDto {
  @ApiPropertyOptional({
    type: [BatchItemResultDto],
    description: 'BATCH_REJECTED: every item’s result (the refused ones, the others skipped)',
    example: [{ index: 0, outcome: 'skipped' }, REFUSED_ITEM_EXAMPLE],
  })
  results?: BatchItemResultDto[];
}
