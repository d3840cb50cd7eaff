import { ApiProperty } from '@nestjs/swagger';
import type { PerformanceRow } from '../analytics.repository';

const iso = (d: Date | null) => d?.toISOString() ?? null;

export class PerformanceEntryDto {
  @ApiProperty({ example: 'dawn-dispatch' })
  capsule_slug!: string;

  @ApiProperty({ example: 'Dawn Dispatch' })
  capsule_title!: string;

  @ApiProperty({ example: 'dispatch' })
  kind!: string;

  @ApiProperty({ example: 42, description: 'Every run, running ones included' })
  total_runs!: number;

  @ApiProperty({ example: 40 })
  successful_runs!: number;

  @ApiProperty({ example: 1, description: 'Runs that ended in error or timeout' })
  failed_runs!: number;

  @ApiProperty({
    example: 0.975609756097561,
    nullable: true,
    type: Number,
    description: 'successful / (successful + failed), a fraction 0-1; null when no run has finished that way',
  })
  success_rate!: number | null;

  @ApiProperty({ example: 12.5, nullable: true, type: Number, description: 'Mean runtime of finished runs, seconds' })
  avg_runtime_seconds!: number | null;

  @ApiProperty({ example: 11.2, nullable: true, type: Number, description: 'Median runtime of finished runs, seconds' })
  p50_runtime_seconds!: number | null;

  @ApiProperty({ example: 20.4, nullable: true, type: Number, description: '95th percentile runtime, seconds' })
  p95_runtime_seconds!: number | null;

  @ApiProperty({ example: '2026-11-24T06:00:00.000Z', nullable: true, type: String, format: 'date-time' })
  last_run_at!: string | null;

  @ApiProperty({ example: '2026-11-24T06:00:12.500Z', nullable: true, type: String, format: 'date-time' })
  last_success_at!: string | null;

  @ApiProperty({ example: '2026-11-20T06:00:30.000Z', nullable: true, type: String, format: 'date-time' })
  last_failure_at!: string | null;

  static fromRow(row: PerformanceRow): PerformanceEntryDto {
    return {
      capsule_slug: row.capsule_slug,
      capsule_title: row.capsule_title,
      kind: row.kind,
      total_runs: row.total_runs,
      successful_runs: row.successful_runs,
      failed_runs: row.failed_runs,
      success_rate: row.success_rate,
      avg_runtime_seconds: row.avg_runtime_seconds,
      p50_runtime_seconds: row.p50_runtime_seconds,
      p95_runtime_seconds: row.p95_runtime_seconds,
      last_run_at: iso(row.last_run_at),
      last_success_at: iso(row.last_success_at),
      last_failure_at: iso(row.last_failure_at),
    };
  }
}
