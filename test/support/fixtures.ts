import type { TestApp } from './test-app';

/** Registers a capsule through the API (kind, mode and title defaulted). */
export async function registerCapsule(t: TestApp, body: Record<string, unknown> & { slug: string }): Promise<void> {
  await t
    .http()
    .post('/api/capsules')
    .send({ title: body.slug, kind: 'dispatch', mode: 'automated', ...body })
    .expect(200);
}

/** Records a finished run through the API: it started at `startedAt` and lasted `seconds`. */
export async function recordFinishedRun(
  t: TestApp,
  slug: string,
  startedAt: string,
  status = 'success',
  seconds = 10,
): Promise<void> {
  const completed = new Date(Date.parse(startedAt) + seconds * 1000).toISOString();
  await t
    .http()
    .post('/api/capsules/run')
    .send({ capsule_slug: slug, actor: 'cron', status, started_at: startedAt, completed_at: completed })
    .expect(200);
}
