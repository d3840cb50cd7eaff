import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Min } from 'class-validator';
import { type CursorValue, encodeCursor } from '../pagination/keyset-cursor';

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

/**
 * The page of a query that asked for `limit + 1` rows (and may have been cut short by its byte
 * budget, `cut`): at most `limit` rows, and the cursor of the last one when more rows exist.
 */
export function keysetPage<T>(
  fetched: { rows: T[]; cut: boolean },
  limit: number,
  position: (last: T) => CursorValue[],
): Page<T> {
  const items = fetched.rows.slice(0, limit);
  const more = fetched.rows.length > limit || fetched.cut;
  return { items, next: more && items.length > 0 ? encodeCursor(position(items[items.length - 1])) : undefined };
}
