// The ENV of a Dockerfile's final stage, read with dockerfile-ast (the parser dockerfile-utils
// lints with): both `KEY=value` and the legacy `KEY value` form, quotes resolved. Shared by
// lint-dockerfile.mjs (which requires the production values) and validate-deploy.mjs (which
// starts every workload's environment from them).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { DockerfileParser } = require('dockerfile-ast');

export function finalStageEnv(file) {
  const dockerfile = DockerfileParser.parse(readFileSync(file, 'utf8'));
  const from = dockerfile.getFROMs().at(-1);
  const start = from ? from.getRange().start.line : -1;
  const env = {};
  for (const instruction of dockerfile.getENVs().filter((e) => e.getRange().start.line > start)) {
    for (const property of instruction.getProperties()) env[property.getName()] = property.getValue() ?? '';
  }
  return env;
}
