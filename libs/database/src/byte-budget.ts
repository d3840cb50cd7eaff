import { type Sql, sql } from './sql';

/**
 * Most JSON a page of a list may carry (bytes): a page ends early, with its
 * `Link: rel="next"`, rather than grow past it. Rows are counted at an upper
 * bound of their size (see `jsonBytesBound`): a run with an artifact and a
 * checksum counts ~0.8 KB, so a page of 1000 fits; a run with a 4,000-character
 * message counts ~24 KB (its JSON is that big when the message is all control
 * characters), so such rows come ~40 to a page. Memory per request is bounded
 * by this, not by `limit` × the largest row. Capsules (free-text titles and
 * entrypoints, counted at 6×) get twice the budget, so a default page of 1000
 * ordinary capsules is never cut.
 */
export const PAGE_BYTE_BUDGET = 1024 * 1024;

interface BudgetColumns {
  page_rows_fetched: number;
  page_bytes_before: number;
}

/** A row of a `withByteBudget` query: the page's columns and the budget's bookkeeping. */
export type BudgetedRow<T> = T & BudgetColumns;

/**
 * Wraps a page query (its rows in page order, `LIMIT n + 1`) so that the
 * database returns only the leading rows whose JSON fits in `budget` bytes (the
 * first row always), so an over-large page is never read into memory.
 * `rowBytes` is an upper bound of one row's JSON size over the inner query's
 * columns as `p.<column>`, cheap to compute: see `jsonBytesBound`. `orderBy` is
 * the page's order over those columns.
 */
export function withByteBudget(page: Sql, orderBy: string, rowBytes: string, budget: number): Sql {
  return sql`SELECT * FROM (
    SELECT p.*, count(*) OVER ()::int AS page_rows_fetched,
           (sum(s.row_bytes) OVER (ORDER BY ${sql.raw(orderBy)} ROWS UNBOUNDED PRECEDING) - s.row_bytes)::int AS page_bytes_before
    FROM (${page}) p
    CROSS JOIN LATERAL (SELECT ${sql.raw(rowBytes)} AS row_bytes) s
  ) budgeted
  WHERE page_bytes_before < ${budget}
  ORDER BY ${sql.raw(orderBy)}`;
}

/**
 * SQL for an upper bound of a row's JSON size: `fixed` bytes for its keys,
 * numbers and instants, plus, for each of its `texts` (SQL expressions over
 * `p.<column>`), its stored bytes times the most one byte can grow in JSON:
 * 6 where control characters may occur (`\u0001`), 2 where the API refuses
 * them (only `"` and `\` are escaped: `\"`), 1 for tokens that cannot hold
 * either (slugs). Only lengths are read (`octet_length` reads the stored size,
 * no decompression): encoding the rows to measure them cost ~0.7 s for 1000
 * rows of 24 KB each.
 */
export function jsonBytesBound(fixed: number, texts: [expression: string, growth: 1 | 2 | 6][]): string {
  return `${fixed} + ${texts.map(([text, growth]) => `${growth} * coalesce(octet_length(${text}), 0)`).join(' + ')}`;
}

/** The rows of a `withByteBudget` query without its bookkeeping, and whether the budget cut it short. */
export function budgetedRows<T extends object>(rows: BudgetedRow<T>[]): { rows: T[]; cut: boolean } {
  const cut = rows.length > 0 && rows[0].page_rows_fetched > rows.length;
  return {
    rows: rows.map(({ page_rows_fetched: _fetched, page_bytes_before: _before, ...row }) => row as unknown as T),
    cut,
  };
}
