import { STATUS_CODES } from 'node:http';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 9457 problem details, as every error of this API is answered. */
export class ProblemDetailsDto {
  @ApiProperty({
    example: 'urn:capsules:problem:capsule-not-found',
    description: 'Problem type (about:blank for plain HTTP errors)',
  })
  type!: string;

  @ApiProperty({ example: 'Not Found' })
  title!: string;

  @ApiProperty({ example: 404 })
  status!: number;

  @ApiProperty({ example: 'Capsule not found', description: 'Human-readable explanation (always a string)' })
  detail!: string;

  @ApiPropertyOptional({ example: 'CAPSULE_NOT_FOUND', description: 'Stable machine-readable code' })
  code?: string;

  @ApiPropertyOptional({ example: '/api/capsules/nope', description: 'The request path' })
  instance?: string;

  @ApiPropertyOptional({
    example: '0f5c1f0e-3d5e-4a43-9d44-2f6b7f3b1f0a',
    description: 'Echo of X-Request-Id; quote it when reporting a problem',
  })
  request_id?: string;
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

export function plainProblem(status: number, detail: string, extensions: Record<string, unknown> = {}): ProblemBody {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, ...extensions };
}

export function problemType(code: string): string {
  return `urn:capsules:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}
