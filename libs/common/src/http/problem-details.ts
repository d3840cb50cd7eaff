import { STATUS_CODES } from 'node:http';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * RFC 9457 problem details, as every error of this API is answered
 * (`application/problem+json`). Some problems add members of their own
 * (`errors`, `retry_after`, `required_scope`, `slug`…).
 */
export class ProblemDetailsDto {
  @ApiProperty({
    example: 'urn:capsules:problem:capsule-not-found',
    description: 'Problem type (about:blank for plain HTTP errors)',
  })
  type!: string;

  @ApiProperty({ example: 'Not Found', description: 'The summary of the problem type (the HTTP status text)' })
  title!: string;

  @ApiProperty({ example: 404, type: 'integer', description: 'The HTTP status of the answer' })
  status!: number;

  @ApiProperty({ example: 'Capsule not found', description: 'Human-readable explanation (always a string)' })
  detail!: string;

  @ApiProperty({
    example: 'CAPSULE_NOT_FOUND',
    description: 'Stable machine-readable code (every problem has one; branch on it, not on `detail`)',
  })
  code!: string;

  @ApiPropertyOptional({ example: '/api/capsules/nope', description: 'The request path' })
  instance?: string;

  @ApiPropertyOptional({
    example: '0f5c1f0e-3d5e-4a43-9d44-2f6b7f3b1f0a',
    description: 'Echo of X-Request-Id; quote it when reporting a problem',
  })
  request_id?: string;

  // Extension members of some problems (RFC 9457 §3.2).

  @ApiPropertyOptional({
    example: 30,
    type: 'integer',
    description: 'RATE_LIMITED: seconds until the next request fits (also in `Retry-After`)',
  })
  retry_after?: number;

  @ApiPropertyOptional({
    example: 'write',
    enum: ['read', 'write', 'admin'],
    description: 'INSUFFICIENT_SCOPE: the scope the route needs',
  })
  required_scope?: string;

  @ApiPropertyOptional({ example: 'dawn-dispatch', description: 'CAPSULE_NOT_FOUND: the unknown slug' })
  slug?: string;

  @ApiPropertyOptional({
    example: 1234,
    type: 'integer',
    description: 'RUN_KEY_CONFLICT: the run that used the run key first',
  })
  run_id?: number;

  @ApiPropertyOptional({
    example: 'success',
    description: 'RUN_ALREADY_FINISHED: the final status the run has',
  })
  run_status?: string;
}

export class FieldErrorDto {
  @ApiProperty({ example: 'slug' })
  field!: string;

  @ApiProperty({ example: 'slug must contain only lowercase letters, digits and "-" (1-120 characters)' })
  message!: string;
}

export class ValidationProblemDto extends ProblemDetailsDto {
  @ApiProperty({
    type: [FieldErrorDto],
    description: 'Every invalid field of the request',
    example: [
      { field: 'slug', message: 'slug must contain only lowercase letters, digits and "-" (1-120 characters)' },
      { field: 'owner', message: 'owner is not a known field' },
    ],
  })
  errors!: FieldErrorDto[];
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

/** A problem of no domain type (`about:blank`): framework and HTTP errors. Every problem carries a `code`. */
export function plainProblem(
  status: number,
  detail: string,
  extensions: { code: string } & Record<string, unknown>,
): ProblemBody {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, ...extensions };
}

export function problemType(code: string): string {
  return `urn:capsules:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}
