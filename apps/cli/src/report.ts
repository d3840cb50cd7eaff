import { type ApiClient, ApiRejectedError, ApiUnavailableError } from './api-client';

/** The start of a run as POST /api/capsules/run takes it (with its run key: exactly once). */
export interface RunStart {
  capsule_slug: string;
  actor: string;
  status: 'running';
  started_at: string;
  run_key: string;
}

/** The end of a run as PATCH /api/capsules/runs/{id} takes it. */
export interface RunFinish {
  status: 'success' | 'error' | 'timeout' | 'cancelled';
  completed_at: string;
  exit_code: number | null;
  message?: string;
  artifact_uri?: string;
  checksum?: string;
}

/** A whole report: what the spool keeps and `capsule flush` delivers. */
export interface RunReport {
  /** The capsule to upsert first (`capsule exec --register`). */
  register?: Record<string, unknown>;
  start: RunStart;
  finish: RunFinish;
}

interface RunAnswer {
  id: number;
}

/**
 * Registers the capsule: the fields given change an existing one (PATCH, nothing else of it
 * changes); a new one is created with defaults for the required fields (title: the slug, kind
 * `job`, mode `automated`). Safe to repeat.
 */
export async function register(client: ApiClient, capsule: Record<string, unknown>): Promise<void> {
  const { slug, ...fields } = capsule;
  const path = `/api/capsules/${encodeURIComponent(String(slug))}`;
  try {
    if (Object.keys(fields).length > 0) await client.request('PATCH', path, fields);
    else await client.request('GET', path);
  } catch (error) {
    if (!(error instanceof ApiRejectedError && error.status === 404)) throw error;
    await client.request('POST', '/api/capsules', { title: slug, kind: 'job', mode: 'automated', ...capsule });
  }
}

/** Records the start; answers the run's id. The same start again answers the same run (its key). */
export async function sendStart(client: ApiClient, start: RunStart): Promise<number> {
  const res = await client.request<RunAnswer>('POST', '/api/capsules/run', start);
  // A 2xx that is not the API's answer (a proxy's page): not recorded, so worth trying later.
  if (typeof res.body?.id !== 'number')
    throw new ApiUnavailableError(`${client.baseUrl} did not answer as the API does`);
  return res.body.id;
}

/** Finishes the run; finishing it again with the same outcome is answered like the first time. */
export async function sendFinish(client: ApiClient, runId: number, finish: RunFinish): Promise<void> {
  await client.request('PATCH', `/api/capsules/runs/${runId}`, finish);
}

/**
 * Delivers a whole report: the start (a replay when it was recorded before, thanks to its run
 * key), then the finish. Safe to repeat, and to run twice at once: one run record, finished once.
 */
export async function deliver(client: ApiClient, report: RunReport): Promise<number> {
  if (report.register) {
    // A registration the API refuses (a bad field) does not keep the run from being recorded.
    await register(client, report.register).catch((error: unknown) => {
      if (!(error instanceof ApiRejectedError)) throw error;
    });
  }
  const id = await sendStart(client, report.start);
  await sendFinish(client, id, report.finish);
  return id;
}
