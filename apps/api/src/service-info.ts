import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Name old clients read from `GET /` (the original service's). */
export const SERVICE_NAME = 'Codex Capsules';
export const SERVICE_DESCRIPTION =
  'Registry and run ledger for operational jobs (capsules): register capsules, record every run, ' +
  'read analytics and schedule state.';

/** The package version, read once from the nearest package.json (src and dist alike). */
export const SERVICE_VERSION: string = readVersion();

function readVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'capsules-api' && pkg.version) return pkg.version;
    } catch {
      // not here; look one level up
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}
