import { sql } from './sql';

describe('sql templates', () => {
  it('binds every interpolated value as a numbered parameter, in order', () => {
    const q = sql`SELECT * FROM capsules WHERE slug = ${"x'; DROP TABLE capsules; --"} AND revision > ${3}`;
    expect(q.toQuery()).toEqual({
      text: 'SELECT * FROM capsules WHERE slug = $1 AND revision > $2',
      values: ["x'; DROP TABLE capsules; --", 3],
    });
  });

  it('splices fragments and renumbers their values', () => {
    const where = sql.where([sql`kind = ${'digest'}`, sql`mode = ${'cron'}`]);
    const q = sql`SELECT 1 FROM capsules ${where} LIMIT ${10}`;
    expect(q.toQuery()).toEqual({
      text: 'SELECT 1 FROM capsules WHERE kind = $1 AND mode = $2 LIMIT $3',
      values: ['digest', 'cron', 10],
    });
  });

  it('gives a value used twice one placeholder', () => {
    const status = sql.value('running');
    const q = sql`SELECT ${status}, ${status} = 'running', ${1}`;
    expect(q.toQuery()).toEqual({ text: "SELECT $1, $1 = 'running', $2", values: ['running', 1] });
  });

  it('joins with a separator, and an empty list is nothing (or what the caller says)', () => {
    expect(sql.join([sql`a = ${1}`, sql`b = ${2}`], ', ').toQuery()).toEqual({
      text: 'a = $1, b = $2',
      values: [1, 2],
    });
    expect(sql`SELECT 1 ${sql.where([])}`.toQuery()).toEqual({ text: 'SELECT 1 ', values: [] });
    expect(sql.join([], ', ', sql`true`).toQuery().text).toBe('true');
  });

  it('puts raw text in only through sql.raw, and values of any type stay values', () => {
    const q = sql`SELECT ${sql.raw('slug, title')} FROM capsules WHERE tags && ${['a', 'b']} AND at < ${new Date(0)}`;
    const { text, values } = q.toQuery();
    expect(text).toBe('SELECT slug, title FROM capsules WHERE tags && $1 AND at < $2');
    expect(values).toEqual([['a', 'b'], new Date(0)]);
  });

  it('keeps null and undefined as bound values', () => {
    expect(sql`SELECT ${null}::int, ${undefined}::int`.toQuery()).toEqual({
      text: 'SELECT $1::int, $2::int',
      values: [null, undefined],
    });
  });
});
