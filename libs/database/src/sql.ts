/**
 * Hand-written SQL as tagged templates: `sql\`SELECT … WHERE slug = ${slug}\``. Every `${value}`
 * becomes a numbered placeholder (`$1`, `$2`, … in order of appearance) and travels as a bound
 * parameter, never as text; a nested `sql` fragment is spliced in with its own values renumbered.
 * So a query reads as the SQL it runs, with its values where they are used, and no hand-counted
 * `$n` (ADR 9).
 *
 * Only `sql.raw` puts text into a statement, for constants of the code (column lists, the ledger
 * vocabulary's counter names), never for a request's input.
 */

/** A bound value; the same `SqlValue` used twice is one placeholder. */
export class SqlValue {
  constructor(readonly value: unknown) {}
}

type Part = string | SqlValue;

/** A piece of SQL with its values. */
export class Sql {
  /** Use the `sql` tag, `sql.raw` or `sql.join`. */
  constructor(readonly parts: readonly Part[]) {}

  /** The statement text with `$1…$n` and its values, for the driver. */
  toQuery(): { text: string; values: unknown[] } {
    const values: unknown[] = [];
    const numbers = new Map<SqlValue, number>();
    let text = '';
    for (const part of this.parts) {
      if (typeof part === 'string') {
        text += part;
        continue;
      }
      let n = numbers.get(part);
      if (n === undefined) {
        n = values.push(part.value);
        numbers.set(part, n);
      }
      text += `$${n}`;
    }
    return { text, values };
  }
}

/** Tags a template as SQL: interpolated values are bound, interpolated `Sql` is spliced. */
export function sql(strings: TemplateStringsArray, ...args: unknown[]): Sql {
  const parts: Part[] = [];
  strings.forEach((text, i) => {
    if (text) parts.push(text);
    if (i >= args.length) return;
    const arg = args[i];
    if (arg instanceof Sql) parts.push(...arg.parts);
    else parts.push(arg instanceof SqlValue ? arg : new SqlValue(arg));
  });
  return new Sql(parts);
}

/** Text of the code (never input) as SQL. */
sql.raw = (text: string): Sql => new Sql([text]);

/** One value to use in several places of a statement (a single placeholder). */
sql.value = (value: unknown): SqlValue => new SqlValue(value);

/** The fragments with `separator` between them; `empty` when there are none. */
sql.join = (fragments: readonly Sql[], separator: string, empty: Sql = sql.raw('')): Sql => {
  if (fragments.length === 0) return empty;
  const parts: Part[] = [];
  fragments.forEach((fragment, i) => {
    if (i > 0) parts.push(separator);
    parts.push(...fragment.parts);
  });
  return new Sql(parts);
};

/** `WHERE a AND b …` of the conditions, or nothing without any. */
sql.where = (conditions: readonly Sql[]): Sql =>
  conditions.length === 0 ? sql.raw('') : sql`WHERE ${sql.join(conditions, ' AND ')}`;
