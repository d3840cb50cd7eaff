import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedPostgresError, serverLogReason, startEmbeddedPostgres } from './embedded-postgres';

describe('embedded PostgreSQL failures', () => {
  it('serverLogReason: the last FATAL with its DETAIL and HINT, without timestamps, on one line', () => {
    const log = [
      '2026-12-02 02:09:47.435 UTC [7124] LOG:  database system is shut down',
      '2026-12-02 02:09:49.001 UTC [7180] FATAL:  an older failure',
      '2026-12-02 02:09:50.848 UTC [7186] FATAL:  database files are incompatible with server',
      '2026-12-02 02:09:50.848 UTC [7186] DETAIL:  The data directory was initialized by PostgreSQL version 9.6.',
      '2026-12-02 02:09:50.849 UTC [7186] LOG:  database system is shut down',
      '',
    ].join('\n');
    expect(serverLogReason(log)).toBe(
      'FATAL: database files are incompatible with server ' +
        'DETAIL: The data directory was initialized by PostgreSQL version 9.6.',
    );
    expect(serverLogReason('2026-12-02 02:09:47.435 UTC [7124] LOG:  database system is shut down\n')).toBeUndefined();
  });

  it('binaries missing: one line saying to run npm ci or set DATABASE_URL', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'capsules-missing-'));
    try {
      const failure = await startEmbeddedPostgres({
        dataDir: path.join(dir, 'postgres'),
        port: 1,
        nativeDir: path.join(dir, 'no-build'),
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(EmbeddedPostgresError);
      const message = (failure as Error).message;
      expect(message).toContain(`${path.join(dir, 'no-build', 'bin', 'pg_ctl')} is missing`);
      expect(message).toMatch(/npm ci.*DATABASE_URL/);
      expect(message).not.toContain('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
