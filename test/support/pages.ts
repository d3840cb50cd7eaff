import type { TestApp } from './test-app';

/**
 * Reads a list whose `limit` asks for more than its maximum of 1000: the first page must hold
 * exactly 1000 rows and link to the next, which holds the other `total - 1000` and links nowhere.
 * Returns both pages' rows.
 */
export async function expectClampedTo1000<T>(t: TestApp, url: string, total: number): Promise<T[]> {
  const first = await t.http().get(url).expect(200);
  expect(first.body.length).toBe(1000);
  const link = first.headers.link as string | undefined;
  expect(link).toMatch(/^<[^>]+[?&]cursor=[A-Za-z0-9_-]+>; rel="next"$/);
  const rest = await t
    .http()
    .get(/^<([^>]+)>/.exec(link!)![1])
    .expect(200);
  expect(rest.body.length).toBe(total - 1000);
  expect(rest.headers.link).toBeUndefined();
  return [...first.body, ...rest.body] as T[];
}
