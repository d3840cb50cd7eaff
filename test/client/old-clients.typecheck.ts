/**
 * `npm run typecheck:client` (a CI step): the requests the old clients send, built with a typed
 * client generated from the committed openapi.json (openapi-typescript + openapi-fetch), must
 * type-check unchanged. A schema that makes a field the clients leave out required (a `default`
 * on a request property does that) fails here. Never run, only compiled.
 */
import createClient from 'openapi-fetch';
import type { paths } from '../../.data/client/capsules-api';
import { DEMO_CAPSULE, SMOKE_CAPSULE, SMOKE_RUN } from '../support/old-client-bodies';

const api = createClient<paths>({ baseUrl: 'http://127.0.0.1:8080', headers: { 'X-API-Key': 'key' } });

/** The Python smoke script: registers a capsule, records a run, reads `detail` on failure. */
export async function pythonSmokeScript(): Promise<string | undefined> {
  await api.POST('/api/capsules', { body: SMOKE_CAPSULE });
  const { data, error } = await api.POST('/api/capsules/run', { body: SMOKE_RUN });
  const id: number | undefined = data?.id;
  return error ? error.detail : String(id);
}

/** The PowerShell demo: registers signals-daily, reports a run, formats success_rate itself. */
export async function powerShellDemo(): Promise<void> {
  await api.POST('/api/capsules', { body: DEMO_CAPSULE });
  const capsule_slug = 'signals-daily';
  const actor = 'powershell-demo';
  const status = 'success';
  const artifact_uri = 'gs://codex-artifacts/signals-daily/2026-11-24.json';
  const checksum = `sha256:${Math.floor(Math.random() * 9_000_000) + 1_000_000}`;
  await api.POST('/api/capsules/run', { body: { capsule_slug, actor, status, artifact_uri, checksum } });
  const { data } = await api.GET('/api/capsules/performance');
  for (const entry of data ?? []) {
    const rate: number | null = entry.success_rate;
    void `${entry.kind}: ${rate === null ? 'n/a' : (rate * 100).toFixed(1)}%`;
  }
}

/** The least each body needs, and a PATCH of one field. */
export async function minimalBodies(): Promise<void> {
  await api.POST('/api/capsules', {
    body: { slug: 'dawn-dispatch', title: 'Dawn Dispatch', kind: 'dispatch', mode: 'automated' },
  });
  await api.POST('/api/capsules/run', { body: { capsule_slug: 'dawn-dispatch', actor: 'cron@scheduler-1' } });
  await api.PATCH('/api/capsules/{slug}', {
    params: { path: { slug: 'dawn-dispatch' } },
    body: { schedule: '0 7 * * *' },
  });
  await api.PATCH('/api/capsules/runs/{id}', { params: { path: { id: '1234' } }, body: { status: 'error' } });
  const { data } = await api.GET('/');
  void [data?.service, data?.version];
}

/** The types still reject what is wrong (if these stop being errors, tsc fails on the directives). */
export async function rejected(): Promise<void> {
  // @ts-expect-error a run without its actor
  await api.POST('/api/capsules/run', { body: { capsule_slug: 'dawn-dispatch' } });
  // @ts-expect-error a status outside the documented set
  await api.POST('/api/capsules/run', { body: { capsule_slug: 'dawn-dispatch', actor: 'a', status: 'done' } });
  // @ts-expect-error a capsule without its kind
  await api.POST('/api/capsules', { body: { slug: 'x', title: 'X', mode: 'manual' } });
}
