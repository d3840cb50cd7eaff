import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../support/free-port';

/**
 * The CI audit gate (scripts/audit-dependencies.mjs) against a registry of the test's own:
 * real `npm audit` on the real lockfile, with the advisories the registry answers.
 */
const SCRIPT = path.resolve(__dirname, '../../scripts/audit-dependencies.mjs');
const ROOT = path.resolve(__dirname, '../..');
const execFileAsync = promisify(execFile);

type Answer = { status: 405 } | { status: 200; advisories: Record<string, unknown[]> };

const HIGH_IN_PG = {
  pg: [
    {
      id: 1,
      url: 'https://example.test/advisories/1',
      title: 'A made-up advisory',
      severity: 'high',
      vulnerable_versions: '>=0.0.0',
      cwe: [],
      cvss: { score: 7.5, vectorString: null },
    },
  ],
};

async function audit(answer: Answer): Promise<{ code: number; stdout: string; stderr: string }> {
  const registry = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.includes('/security/advisories/bulk')) {
        if (answer.status === 405) return void res.writeHead(405).end();
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer.advisories));
      }
      // npm reads the packument of each package an advisory names: one version, the installed one.
      const name = decodeURIComponent((req.url ?? '/').slice(1));
      const file = path.join(ROOT, 'node_modules', name, 'package.json');
      if (!existsSync(file)) return void res.writeHead(404).end();
      const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version: string };
      const packument = { name, 'dist-tags': { latest: version }, versions: { [version]: { name, version } } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
    });
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  try {
    return await runGate(`http://127.0.0.1:${(registry.address() as AddressInfo).port}/`);
  } finally {
    registry.close();
  }
}

async function runGate(registry: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = [SCRIPT, `--registry=${registry}`, '--fetch-retries=0', '--no-update-notifier'];
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, args, { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

jest.setTimeout(60_000);

describe('the dependency audit gate', () => {
  it('fails on a high advisory in a production dependency, naming it', async () => {
    const result = await audit({ status: 200, advisories: HIGH_IN_PG });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^audit: high pg /m);
  });

  it('passes with no advisories, and says what it counted', async () => {
    const result = await audit({ status: 200, advisories: {} });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^audit: 0 critical, 0 high, 0 moderate, 0 low in \d+ production dependencies/m);
  });

  it('fails when the audit cannot be asked at all (a registry that is not there)', async () => {
    const result = await runGate(`http://127.0.0.1:${await freePort()}/`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('audit: FAILED');
  });

  it('reports a registry without an audit service as not run, never as clean', async () => {
    const result = await audit({ status: 405 });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('audit: NOT RUN');
    expect(result.stdout).not.toContain('0 critical');
  });
});
