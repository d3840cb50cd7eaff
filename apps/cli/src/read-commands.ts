import type { ApiClient } from './api-client';

/** Where read commands write, and whether it is a terminal (colours only then). */
export interface Out {
  write(text: string): void;
  color: boolean;
}

interface Capsule {
  slug: string;
  title: string;
  kind: string;
  status: string;
  schedule: string | null;
  timezone: string;
}

interface ScheduledEntry {
  slug: string;
  state: string;
  next_run: string | null;
  last_run: string | null;
}

interface PerformanceEntry {
  capsule_slug: string;
  success_rate: number | null;
  last_run_at: string | null;
}

interface CapsuleDetail extends Capsule {
  version: string | null;
  state: string;
  next_run: string | null;
  last_run: string | null;
  grace_seconds: number;
  max_runtime_seconds: number | null;
  tags: string[];
}

interface Run {
  id: number;
  status: string;
  actor: string;
  started_at: string;
  duration_ms: number | null;
  exit_code: number | null;
}

interface FireTime {
  at: string;
  local: string;
}

const STATE_COLORS: Record<string, number> = {
  up: 32,
  success: 32,
  late: 33,
  running: 36,
  down: 31,
  error: 31,
  timeout: 31,
};

function paint(out: Out, text: string, key: string): string {
  const code = STATE_COLORS[key];
  return out.color && code ? `\u001b[${code}m${text}\u001b[0m` : text;
}

/** Every page of a list route, following `Link: rel="next"`. */
async function allPages<T>(client: ApiClient, path: string): Promise<T[]> {
  const items: T[] = [];
  let next: string | null = path;
  while (next) {
    const res: { body: T[]; headers: Headers } = await client.read<T[]>(next);
    items.push(...res.body);
    next = nextLink(res.headers, client.baseUrl);
  }
  return items;
}

/** The path of a `Link: <…>; rel="next"` header, or null. */
export function nextLink(headers: Headers, baseUrl: string): string | null {
  const link = headers.get('link');
  const match = link?.match(/<([^>]+)>;\s*rel="next"/);
  if (!match) return null;
  const url = new URL(match[1], baseUrl);
  return `${url.pathname}${url.search}`;
}

/** A table with a header row, columns padded to their widest cell (colour codes not counted). */
function table(out: Out, header: string[], rows: { cells: string[]; colorKeys?: (string | undefined)[] }[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i].length)));
  const line = (cells: string[], keys: (string | undefined)[] = []) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c : c.padEnd(widths[i]);
        return keys[i] ? paint(out, padded, keys[i]) : padded;
      })
      .join('  ')
      .trimEnd();
  out.write(`${line(header)}\n`);
  for (const row of rows) out.write(`${line(row.cells, row.colorKeys)}\n`);
}

const dash = (value: string | null | undefined) => value ?? '-';
const percent = (rate: number | null) => (rate === null ? '-' : `${(rate * 100).toFixed(1)} %`);

/** `capsule ls`: every capsule with its state, last run, next run and success rate. */
export async function listCapsules(
  client: ApiClient,
  out: Out,
  options: { json: boolean; kind?: string },
): Promise<void> {
  const query = options.kind ? `?kind=${encodeURIComponent(options.kind)}` : '';
  const [capsules, scheduled, performance] = await Promise.all([
    allPages<Capsule>(client, `/api/capsules${query}${query ? '&' : '?'}limit=1000`),
    client.read<ScheduledEntry[]>('/api/capsules/scheduled'),
    client.read<PerformanceEntry[]>(`/api/capsules/performance${query}`),
  ]);
  const states = new Map(scheduled.body.map((s) => [s.slug, s]));
  const stats = new Map(performance.body.map((p) => [p.capsule_slug, p]));
  const rows = capsules.map((c) => {
    const s = states.get(c.slug);
    const p = stats.get(c.slug);
    return {
      slug: c.slug,
      kind: c.kind,
      state: c.status === 'archived' ? 'paused' : (s?.state ?? (c.schedule ? 'new' : 'unscheduled')),
      last_run: p?.last_run_at ?? s?.last_run ?? null,
      next_run: s?.next_run ?? null,
      success_rate: p?.success_rate ?? null,
    };
  });
  if (options.json) {
    out.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  table(
    out,
    ['SLUG', 'KIND', 'STATE', 'LAST RUN', 'NEXT RUN', 'SUCCESS'],
    rows.map((r) => ({
      cells: [r.slug, r.kind, r.state, dash(r.last_run), dash(r.next_run), percent(r.success_rate)],
      colorKeys: [undefined, undefined, r.state],
    })),
  );
}

/** `capsule status <slug>`: the capsule's definition and schedule state. */
export async function showStatus(client: ApiClient, out: Out, slug: string, options: { json: boolean }): Promise<void> {
  const { body } = await client.read<CapsuleDetail>(`/api/capsules/${encodeURIComponent(slug)}`);
  if (options.json) {
    out.write(`${JSON.stringify(body, null, 2)}\n`);
    return;
  }
  const fields: [string, string, string?][] = [
    ['slug', body.slug],
    ['title', body.title],
    ['kind', body.kind],
    ['version', dash(body.version)],
    ['state', body.state, body.state],
    ['schedule', body.schedule ? `${body.schedule} (${body.timezone})` : '-'],
    ['last run', dash(body.last_run)],
    ['next run', dash(body.next_run)],
    ['grace', `${body.grace_seconds} s`],
    ['max runtime', body.max_runtime_seconds === null ? '-' : `${body.max_runtime_seconds} s`],
    ['tags', body.tags.length ? body.tags.join(', ') : '-'],
  ];
  for (const [name, value, key] of fields)
    out.write(`${`${name}:`.padEnd(13)}${key ? paint(out, value, key) : value}\n`);
}

/** `capsule runs <slug>`: one page of runs, newest first, and how to get the next. */
export async function listRuns(
  client: ApiClient,
  out: Out,
  slug: string,
  options: { json: boolean; limit: number; cursor?: string },
): Promise<void> {
  const query = new URLSearchParams({ limit: String(options.limit) });
  if (options.cursor) query.set('cursor', options.cursor);
  const res = await client.read<Run[]>(`/api/capsules/${encodeURIComponent(slug)}/runs?${query.toString()}`);
  const next = nextLink(res.headers, client.baseUrl);
  const cursor = next ? new URL(next, client.baseUrl).searchParams.get('cursor') : null;
  if (options.json) {
    out.write(`${JSON.stringify({ runs: res.body, next_cursor: cursor }, null, 2)}\n`);
    return;
  }
  table(
    out,
    ['ID', 'STATUS', 'STARTED', 'DURATION', 'EXIT', 'ACTOR'],
    res.body.map((r) => ({
      cells: [
        String(r.id),
        r.status,
        r.started_at,
        r.duration_ms === null ? '-' : `${(r.duration_ms / 1000).toFixed(1)} s`,
        r.exit_code === null ? '-' : String(r.exit_code),
        r.actor,
      ],
      colorKeys: [undefined, r.status],
    })),
  );
  if (cursor) out.write(`\nmore: capsule runs ${slug} --cursor ${cursor}\n`);
}

/** `capsule schedule <slug>`: the next fire times, UTC and local with the offset. */
export async function showSchedule(
  client: ApiClient,
  out: Out,
  slug: string,
  options: { json: boolean; count: number },
): Promise<void> {
  const { body } = await client.read<FireTime[]>(
    `/api/capsules/${encodeURIComponent(slug)}/schedule?count=${options.count}`,
  );
  if (options.json) {
    out.write(`${JSON.stringify(body, null, 2)}\n`);
    return;
  }
  table(
    out,
    ['UTC', 'LOCAL'],
    body.map((f) => ({ cells: [f.at, f.local] })),
  );
}
