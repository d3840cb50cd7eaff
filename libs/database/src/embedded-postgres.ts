import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  DEFAULT_SHARED_DIR,
  EmbeddedPostgresError,
  oneLine,
  placeBinaries,
  placeCluster,
  postgresOsUser,
  type RunAs,
} from './embedded-postgres-placement';

export { EmbeddedPostgresError } from './embedded-postgres-placement';

/** Superuser the embedded cluster is created with. */
const SUPERUSER = 'postgres';

export interface EmbeddedPostgresOptions {
  /** Cluster directory (created on first start, kept across restarts). */
  dataDir: string;
  /** Preferred TCP port on 127.0.0.1; a free one is taken when it is busy. */
  port: number;
  /** Extra server settings, passed as `-c name=value` (values without spaces). */
  settings?: Record<string, string>;
  log?: (message: string) => void;
  /**
   * The PostgreSQL build to run (a directory with `bin`, `lib` and `share`);
   * by default the `native` directory of the platform's `@embedded-postgres/*` package.
   */
  nativeDir?: string;
  /**
   * As root: where the binaries and the cluster go when the `postgres` OS user
   * cannot reach them (default /var/lib/capsules-api/embedded-postgres).
   */
  sharedDir?: string;
}

export interface EmbeddedPostgresServer {
  readonly port: number;
  /** True when a server left running by an earlier process was found and reused. */
  readonly adopted: boolean;
  /** The cluster directory: `dataDir`, or (as root, when the `postgres` OS user cannot reach it) its relocated place. */
  readonly dataDir: string;
  url(database: string): string;
  /** Creates the database unless it exists. */
  ensureDatabase(name: string): Promise<void>;
  /** Stops the server (fast shutdown: a clean checkpoint, sessions closed). */
  stop(): Promise<void>;
}

interface Binaries {
  pg_ctl: string;
  initdb: string;
}

/**
 * Starts (or adopts) a real PostgreSQL with the binaries of the
 * `embedded-postgres` package.
 *
 * - As root, PostgreSQL runs as the unprivileged `postgres` OS user (created
 *   once if missing). When that user cannot reach the binaries or `dataDir`
 *   (a private directory such as /root), they are placed under `sharedDir`
 *   instead (see embedded-postgres-placement.ts).
 * - The cluster is created once with `initdb`; the superuser's password is
 *   kept beside it in `<cluster>.password` (mode 0600).
 * - The server is started with `pg_ctl`, which puts it in its own session: a
 *   Ctrl-C in the terminal reaches the API only, and the API stops Postgres
 *   after it has drained.
 * - A `postmaster.pid` left by a crashed process is detected: a live server of
 *   this cluster is reused, a dead one's lock file is removed.
 *
 * Every failure is an {@link EmbeddedPostgresError}: one line with the reason
 * and what to do.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const dataDir = path.resolve(options.dataDir);
  try {
    return await start({ ...options, dataDir });
  } catch (error) {
    if (error instanceof EmbeddedPostgresError) throw error;
    throw new EmbeddedPostgresError(
      `could not start the embedded PostgreSQL for ${dataDir}: ${describe(error)}. ` +
        'Fix that, or set DATABASE_URL to use another PostgreSQL.',
      { cause: error },
    );
  }
}

async function start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const log = options.log ?? (() => undefined);
  const sharedDir = options.sharedDir ?? DEFAULT_SHARED_DIR;
  const nativeDir = locateBuild(options.nativeDir);
  const runAs = await postgresOsUser();
  const bin = binariesIn(await placeBinaries(nativeDir, runAs, sharedDir, log));

  const parent = path.dirname(options.dataDir);
  await fs.mkdir(parent, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new EmbeddedPostgresError(
      `cannot create the directory ${parent} for the embedded PostgreSQL cluster (${error.code ?? describe(error)}): ` +
        'choose a data directory this user can create (DATA_DIR), or set DATABASE_URL to use another PostgreSQL.',
      { cause: error },
    );
  });
  const dataDir = await placeCluster(options.dataDir, runAs, sharedDir, log);
  const password = await readOrCreatePassword(`${dataDir}.password`);

  const running = await findRunningServer(dataDir, password, runAs, bin, log);
  if (running !== undefined) {
    log(`reusing the embedded PostgreSQL already running on 127.0.0.1:${running} (${dataDir})`);
    return makeServer(dataDir, running, password, true, runAs, bin);
  }

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`creating an embedded PostgreSQL cluster in ${dataDir}`);
    await createCluster(dataDir, password, runAs, bin);
  }

  const port = (await isPortFree(options.port)) ? options.port : await findFreePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: "''",
    ...options.settings,
  };
  const serverArgs = [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  const serverLog = path.join(dataDir, 'server.log');
  try {
    await run(bin.pg_ctl, ['start', '-D', dataDir, '-w', '-t', '60', '-s', '-l', serverLog, '-o', serverArgs], runAs);
  } catch (error) {
    const reason = (serverLogReason(await readTail(serverLog)) ?? describe(error)).replace(/\.$/, '');
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL in ${dataDir} did not start: ${reason} (see ${serverLog}). ` +
        'Fix the cause, or move the cluster away to start with a new one, or set DATABASE_URL to use another PostgreSQL.',
      { cause: error },
    );
  }
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (${dataDir})`);
  return makeServer(dataDir, port, password, false, runAs, bin);
}

function makeServer(
  dataDir: string,
  port: number,
  password: string,
  adopted: boolean,
  runAs: RunAs,
  bin: Binaries,
): EmbeddedPostgresServer {
  const url = (database: string) =>
    `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    port,
    adopted,
    dataDir,
    url,
    async ensureDatabase(name: string) {
      const client = new Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (found.rowCount === 0) {
          await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
        }
      } finally {
        await client.end();
      }
    },
    async stop() {
      await run(bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60', '-s'], runAs);
    },
  };
}

/**
 * Creates the cluster with `initdb` (as the `postgres` OS user when root). The
 * password reaches initdb through a file only that user can read, removed
 * right after.
 */
async function createCluster(dataDir: string, password: string, runAs: RunAs, bin: Binaries): Promise<void> {
  const secrets = await fs.mkdtemp(path.join(os.tmpdir(), 'capsules-initdb-'));
  try {
    const passwordFile = path.join(secrets, 'password');
    await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (runAs) {
      for (const owned of [secrets, passwordFile, dataDir]) await fs.chown(owned, runAs.uid, runAs.gid);
    }
    await run(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${SUPERUSER}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--lc-messages=C',
        '--no-instructions',
      ],
      runAs,
    );
  } catch (error) {
    throw new EmbeddedPostgresError(
      `could not create the embedded PostgreSQL cluster in ${dataDir}: ${describe(error)}. ` +
        'Fix the cause, or set DATABASE_URL to use another PostgreSQL.',
      { cause: error },
    );
  } finally {
    await fs.rm(secrets, { recursive: true, force: true });
  }
}

/**
 * The build's directory (`bin`, `lib`, `share`): `nativeDir`, or the one the
 * platform package (an optional dependency of `embedded-postgres`) ships,
 * found by resolution without loading the module.
 */
function locateBuild(nativeDir: string | undefined): string {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let dir = nativeDir;
  if (dir === undefined) {
    try {
      dir = path.join(path.dirname(require.resolve(name)), '..', 'native');
    } catch {
      throw new EmbeddedPostgresError(
        `The PostgreSQL binaries for this platform (${name}) are not installed: run \`npm ci\`, or set DATABASE_URL.`,
      );
    }
  }
  const pgCtl = path.join(dir, 'bin', 'pg_ctl');
  if (!existsSync(pgCtl)) {
    throw new EmbeddedPostgresError(
      nativeDir === undefined
        ? `${pgCtl} is missing: the install script of ${name} did not run. ` +
            'Run `npm ci` (package.json allowScripts lets it link the binaries), or set DATABASE_URL.'
        : `${pgCtl} is missing: no PostgreSQL build in ${dir}. Run \`npm ci\`, or set DATABASE_URL.`,
    );
  }
  return path.resolve(dir);
}

function binariesIn(nativeDir: string): Binaries {
  return { pg_ctl: path.join(nativeDir, 'bin', 'pg_ctl'), initdb: path.join(nativeDir, 'bin', 'initdb') };
}

/** Looks for a server of this cluster left running (e.g. by a crashed process). */
async function findRunningServer(
  dataDir: string,
  password: string,
  runAs: RunAs,
  bin: Binaries,
  log: (m: string) => void,
): Promise<number | undefined> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = (await fs.readFile(pidFile, 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isPostgresProcess(pid)) {
    log(`removing the stale lock file of a PostgreSQL that is no longer running (${pidFile})`);
    await fs.rm(pidFile, { force: true });
    return undefined;
  }
  if (Number.isInteger(port) && (await canConnect(port, password))) return port;
  log(`stopping an unreachable PostgreSQL (pid ${pid}) left on ${dataDir}`);
  await run(bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60', '-s'], runAs);
  return undefined;
}

function isPostgresProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmdline = existsSync(`/proc/${pid}/cmdline`)
      ? execFileSync('cat', [`/proc/${pid}/cmdline`], { encoding: 'utf8' })
      : execFileSync('ps', ['-p', String(pid), '-o', 'comm='], { encoding: 'utf8' });
    return cmdline.includes('postgres');
  } catch {
    return false;
  }
}

async function canConnect(port: number, password: string): Promise<boolean> {
  const client = new Client({
    host: '127.0.0.1',
    port,
    user: SUPERUSER,
    password,
    database: 'postgres',
    connectionTimeoutMillis: 2_000,
  });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** The superuser's password, in a file only the user of this process can read (0600). */
async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL program (as the `postgres` OS user when root); rejects with its error output on one line. */
function run(file: string, args: string[], runAs: RunAs): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { ...runAs, cwd: os.tmpdir(), env: { ...process.env, LC_MESSAGES: 'C' } },
      (error, stdout, stderr) => {
        const program = args[0].startsWith('-') ? path.basename(file) : `${path.basename(file)} ${args[0]}`;
        if (error) reject(new Error(`${program} failed: ${oneLine(stderr) || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

/** An error's message on one line (never its stack). */
function describe(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
}

/**
 * Why the server stopped, from its log: the last FATAL or PANIC line and the
 * DETAIL and HINT lines after it, without their timestamps, on one line.
 */
export function serverLogReason(log: string): string | undefined {
  const entries = log
    .split('\n')
    .map((line) => /\b(FATAL|PANIC|DETAIL|HINT):\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([, severity, text]) => ({ severity, text: text.trim() }));
  const last = entries.findLastIndex((e) => e.severity === 'FATAL' || e.severity === 'PANIC');
  if (last < 0) return undefined;
  return entries
    .slice(last)
    .map((e) => `${e.severity}: ${e.text}`)
    .join(' ');
}

async function readTail(file: string): Promise<string> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return text.split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
