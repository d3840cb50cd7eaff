import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '../..');

const BOUNDARY_RULES = ['no-restricted-imports', 'no-restricted-syntax', '@typescript-eslint/no-require-imports'];

/** Lints `code` as if it were the file at `file` (relative to the repository), with the project's config. */
async function lintAs(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.filter((m) => BOUNDARY_RULES.includes(m.ruleId ?? '')).map((m) => m.message);
}

/** `npm run lint` enforces the direction of dependencies between libs (eslint.config.mjs). */
describe('import boundaries', () => {
  jest.setTimeout(60_000);

  it.each([
    ['common imports a feature', 'libs/common/src/index.ts', "export { RunsService } from '@app/runs';"],
    [
      'capsules imports runs (runs -> capsules only)',
      'libs/capsules/src/index.ts',
      "export { RunsService } from '@app/runs';",
    ],
    ['database imports a feature', 'libs/database/src/index.ts', "export { CapsulesService } from '@app/capsules';"],
    [
      'a lib reaches into the files of another',
      'libs/runs/src/index.ts',
      "export * from '@app/capsules/capsules.service';",
    ],
    ['a lib imports an app', 'libs/runs/src/index.ts', "export * from '../../../apps/api/src/app.module';"],
    [
      'a lib reaches into another from a subfolder',
      'libs/runs/src/dto/record-run.dto.ts',
      "export * from '../../../capsules/src/capsules.service';",
    ],
    ["a lib reaches another's barrel by its path", 'libs/runs/src/index.ts', "export * from '../../capsules/src';"],
    [
      'a lib imports another dynamically',
      'libs/capsules/src/index.ts',
      "export const load = () => import('@app/runs');",
    ],
    ['a lib requires another', 'libs/capsules/src/index.ts', "export const runs: unknown = require('@app/runs');"],
    [
      'schedules imports the registry (capsules -> schedules only)',
      'libs/schedules/src/index.ts',
      "export { CapsulesService } from '@app/capsules';",
    ],
    [
      'alerts imports runs (runs -> alerts only: a report writes its flips)',
      'libs/alerts/src/index.ts',
      "export { RunsService } from '@app/runs';",
    ],
    [
      'capsules imports alerts (the registry knows no alerts)',
      'libs/capsules/src/index.ts',
      "export { AlertsService } from '@app/alerts';",
    ],
    [
      "a lib reaches TypeORM's driver for the pool",
      'libs/runs/src/index.ts',
      "export type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';",
    ],
    [
      "an app reaches TypeORM's driver for the pool",
      'apps/api/src/main.ts',
      "export type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';",
    ],
    ['the capsule command imports server code', 'apps/cli/src/main.ts', "export { RunsService } from '@app/runs';"],
    ['the capsule command imports NestJS', 'apps/cli/src/main.ts', "export { Injectable } from '@nestjs/common';"],
  ])('refuses: %s', async (_, file, code) => {
    expect(await lintAs(file, code)).toEqual([expect.any(String)]);
  });

  it('allows an import that runs the right way (runs -> capsules)', async () => {
    expect(await lintAs('libs/runs/src/index.ts', "export { CapsulesService } from '@app/capsules';")).toEqual([]);
  });
});
