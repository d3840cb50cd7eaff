// The reference the service is measured against: what a user would write instead, at its
// honest best. A hand-written Fastify + pg server that validates a run report and does one
// INSERT (the capsule looked up inside it) into a plain runs table of its own: a primary key,
// the capsule foreign key, a status check, the index a capsule's runs page needs; no triggers,
// no rollups, no alerts (issue 17: the bar is the bare INSERT). For reads, a capsule's runs page:
// the same rows of the service's ledger from the same index, the same JSON, a keyset Link to the
// next page; no keys, no byte budget, no log line.
// Usage: DATABASE_URL=… PORT=… node bench/reference/server.mjs
import { URLSearchParams } from 'node:url';
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 16) });
await pool.query(`
  CREATE TABLE IF NOT EXISTS reference_runs (
    id               bigserial PRIMARY KEY,
    capsule_id       integer NOT NULL REFERENCES capsules (id) ON DELETE CASCADE,
    capsule_revision integer NOT NULL,
    actor            text NOT NULL,
    status           text NOT NULL CHECK (status IN ('running', 'success', 'error', 'timeout', 'cancelled')),
    started_at       timestamptz NOT NULL,
    completed_at     timestamptz,
    duration_ms      bigint,
    artifact_uri     text,
    checksum         text
  )`);
await pool.query(
  'CREATE INDEX IF NOT EXISTS reference_runs_capsule_newest ON reference_runs (capsule_id, started_at DESC, id DESC)',
);
const app = Fastify({ logger: false, bodyLimit: 65536 });
const STATUSES = new Set(['running', 'success', 'error', 'timeout', 'cancelled']);
const isText = (v, max) => typeof v === 'string' && v.length >= 1 && v.length <= max;

app.get('/health', async () => ({ status: 'healthy' }));

app.post('/api/capsules/run', async (request, reply) => {
  const b = request.body;
  const errors = [];
  if (typeof b !== 'object' || b === null || Array.isArray(b)) errors.push('body');
  else {
    if (!isText(b.capsule_slug, 120)) errors.push('capsule_slug');
    if (!isText(b.actor, 120)) errors.push('actor');
    if (b.status !== undefined && !STATUSES.has(b.status)) errors.push('status');
    if (b.artifact_uri !== undefined && !/^(gs|s3|https?|file):\/\/\S+$/.test(b.artifact_uri))
      errors.push('artifact_uri');
    if (b.checksum !== undefined && !/^[a-z0-9-]{2,20}:[A-Za-z0-9+/=_.-]{1,180}$/.test(b.checksum))
      errors.push('checksum');
  }
  if (errors.length) return reply.code(422).send({ status: 422, errors });
  const status = b.status ?? 'success';
  const { rows } = await pool.query({
    name: 'insert-run',
    text: `INSERT INTO reference_runs (capsule_id, capsule_revision, actor, status, started_at, completed_at, duration_ms, artifact_uri, checksum)
           SELECT c.id, c.revision, $2, $3, now(), CASE WHEN $3 = 'running' THEN NULL ELSE now() END,
                  CASE WHEN $3 = 'running' THEN NULL ELSE 0 END, $4, $5
           FROM capsules c WHERE c.slug = $1
           RETURNING id, started_at, completed_at, duration_ms`,
    values: [b.capsule_slug, b.actor, status, b.artifact_uri ?? null, b.checksum ?? null],
  });
  if (rows.length === 0) return reply.code(404).send({ status: 404, detail: 'Capsule not found' });
  const run = rows[0];
  return {
    id: Number(run.id),
    capsule_slug: b.capsule_slug,
    actor: b.actor,
    status,
    started_at: run.started_at.toISOString(),
    completed_at: run.completed_at?.toISOString() ?? null,
    duration_ms: run.duration_ms === null ? null : Number(run.duration_ms),
    artifact_uri: b.artifact_uri ?? null,
    checksum: b.checksum ?? null,
  };
});

const PAGE_COLUMNS = `r.id, c.slug AS capsule_slug, r.actor, r.status, r.started_at, r.completed_at, r.duration_ms,
  r.artifact_uri, r.checksum, r.exit_code, r.message, r.run_key, r.capsule_revision`;

app.get('/api/capsules/runs', async (request, reply) => {
  const { capsule_slug: slug, limit: rawLimit, cursor } = request.query;
  const limit = rawLimit === undefined ? 50 : Number(rawLimit);
  if (!isText(slug, 120) || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
    return reply.code(422).send({ status: 422, errors: ['capsule_slug', 'limit'] });
  }
  let after = null;
  if (cursor !== undefined) {
    try {
      const [at, id] = JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8'));
      after = [new Date(at).toISOString(), String(BigInt(id))];
    } catch {
      return reply.code(400).send({ status: 400, detail: 'bad cursor' });
    }
  }
  const { rows } = await pool.query({
    name: after ? 'runs-page-after' : 'runs-page',
    text: `SELECT ${PAGE_COLUMNS} FROM capsule_runs r JOIN capsules c ON c.id = r.capsule_id
           WHERE r.capsule_id = (SELECT id FROM capsules WHERE slug = $1)
           ${after ? 'AND (r.started_at, r.id) < ($3::timestamptz, $4::bigint)' : ''}
           ORDER BY r.started_at DESC, r.id DESC LIMIT $2`,
    values: after ? [slug, limit + 1, ...after] : [slug, limit + 1],
  });
  const page = rows.slice(0, limit).map((r) => ({
    id: Number(r.id),
    capsule_slug: r.capsule_slug,
    actor: r.actor,
    status: r.status,
    started_at: r.started_at.toISOString(),
    completed_at: r.completed_at?.toISOString() ?? null,
    duration_ms: r.duration_ms === null ? null : Number(r.duration_ms),
    artifact_uri: r.artifact_uri,
    checksum: r.checksum,
    exit_code: r.exit_code,
    message: r.message,
    run_key: r.run_key,
    capsule_revision: r.capsule_revision,
  }));
  if (rows.length > limit) {
    const last = page[page.length - 1];
    const next = Buffer.from(JSON.stringify([last.started_at, last.id])).toString('base64url');
    const query = new URLSearchParams({ capsule_slug: slug, limit: String(limit), cursor: next });
    void reply.header('link', `</api/capsules/runs?${query}>; rel="next"`);
  }
  return page;
});

await app.listen({ port: Number(process.env.PORT ?? 8090), host: '127.0.0.1' });
process.on('SIGTERM', () =>
  app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0)),
);
