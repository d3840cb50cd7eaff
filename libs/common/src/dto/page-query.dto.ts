import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Min } from 'class-validator';

/**
 * `limit` and `cursor` of a keyset-paginated list. A `limit` above the list's
 * maximum is clamped to it (documented per list); below 1 or not a whole
 * number is a 422. The cursor comes from the previous page's Link header.
 */
export class PageQueryDto {
  // Query parameters carry no `example`: Swagger UI's "Try it out" would send it as a filter.
  @ApiPropertyOptional({
    description: 'Rows per page, e.g. 100 (clamped to the maximum of the list)',
    type: 'integer',
    minimum: 1,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be at least 1' })
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the `Link: <…>; rel="next"` header of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Cursor of the next page, when more rows exist. */
  next?: string;
}

/** Clamps a requested page size into 1..max, with a default. */
export function pageSize(requested: number | undefined, fallback: number, max: number): number {
  return Math.min(requested ?? fallback, max);
}
