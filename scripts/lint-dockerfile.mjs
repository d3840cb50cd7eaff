#!/usr/bin/env node
// Lints the Dockerfile with dockerfile-utils (every check on, warnings count as
// failures) and a few rules of ours: the final stage has a non-root USER, a
// HEALTHCHECK, an exec-form CMD and the production ENV (REQUIRED_ENV); a
// .dockerignore exists and, as an allow-list, lets every COPY source through.
// Exit 1 on any problem.
//
//   node scripts/lint-dockerfile.mjs [path/to/Dockerfile]
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { finalStageEnv } from './dockerfile-env.mjs';

const require = createRequire(import.meta.url);
const { validate, ValidationSeverity } = require('dockerfile-utils');

const file = path.resolve(process.argv[2] ?? 'Dockerfile');
const content = readFileSync(file, 'utf8');
const lines = content.split(/\r?\n/);
const problems = [];
const print = (stream, line) => stream.write(`${line}\n`);
/** The final stage's ENV that deploy/ relies on (image-replay.sh overrides HOST, so only this catches it). */
const REQUIRED_ENV = { NODE_ENV: 'production', HOST: '0.0.0.0', MIGRATE_ON_BOOT: 'false' };

const every = ValidationSeverity.WARNING;
const diagnostics = validate(content, {
  deprecatedMaintainer: every,
  directiveCasing: every,
  emptyContinuationLine: every,
  instructionCasing: every,
  instructionCmdMultiple: every,
  instructionEntrypointMultiple: every,
  instructionHealthcheckMultiple: every,
  instructionJSONInSingleQuotes: every,
  instructionWorkdirRelative: every,
});
for (const d of diagnostics.sort((a, b) => a.range.start.line - b.range.start.line)) {
  const line = d.range.start.line + 1;
  problems.push(`${line}: ${d.message}\n    ${lines[line - 1]?.trim() ?? ''}`);
}

// The instructions of the last stage, continuation lines joined.
const instructions = [];
let current;
lines.forEach((text, i) => {
  if (current === undefined) {
    if (/^\s*(#|$)/.test(text)) return;
    current = { line: i + 1, text: '' };
  }
  const continued = /\\\s*$/.test(text);
  current.text += ' ' + text.replace(/\\\s*$/, '').trim();
  if (!continued) {
    const [keyword, ...rest] = current.text.trim().split(/\s+/);
    instructions.push({ line: current.line, keyword: keyword.toUpperCase(), args: rest.join(' ') });
    current = undefined;
  }
});
const lastFrom = instructions.findLastIndex((i) => i.keyword === 'FROM');
const finalStage = instructions.slice(lastFrom);

const user = finalStage.findLast((i) => i.keyword === 'USER');
if (!user) problems.push('final stage: no USER (the image would run as root)');
else if (/^(root|0)(:|$)/.test(user.args)) problems.push(`${user.line}: final stage runs as root (USER ${user.args})`);
if (!finalStage.some((i) => i.keyword === 'HEALTHCHECK')) problems.push('final stage: no HEALTHCHECK');
const cmd = finalStage.findLast((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT');
if (!cmd) problems.push('final stage: no CMD or ENTRYPOINT');
else if (!cmd.args.startsWith('[')) {
  problems.push(`${cmd.line}: ${cmd.keyword} in shell form: use the exec form so that node receives SIGTERM`);
}
const env = finalStageEnv(file);
for (const [key, value] of Object.entries(REQUIRED_ENV)) {
  if (env[key] !== value) {
    problems.push(`final stage: ENV ${key}=${value} required (got ${key in env ? `"${env[key]}"` : 'none'})`);
  }
}

// Without a .dockerignore the whole checkout (node_modules, .data, .env files)
// is sent to the builder. With an allow-list one (`*` first), every COPY from
// the build context must be re-included, or `docker build` fails where the
// replay passes.
const ignoreFile = path.join(path.dirname(file), '.dockerignore');
if (!existsSync(ignoreFile)) problems.push(`${path.basename(ignoreFile)}: missing next to the Dockerfile`);
const ignore = existsSync(ignoreFile)
  ? readFileSync(ignoreFile, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
  : [];
if (ignore.includes('*')) {
  const allowed = new Set(ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, '')));
  for (const ins of instructions.filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))) {
    const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
    for (const src of words.slice(0, -1)) {
      if (!allowed.has(src.replace(/^\.\//, '').replace(/\/$/, ''))) {
        problems.push(`${ins.line}: COPY ${src}: not re-included in .dockerignore (add !${src})`);
      }
    }
  }
}

const name = path.relative(process.cwd(), file) || file;
if (problems.length > 0) {
  print(process.stderr, `${name}: ${problems.length} problem(s)`);
  for (const p of problems) print(process.stderr, `  ${p}`);
  process.exit(1);
}
print(process.stdout, `${name}: ok (${instructions.length} instructions)`);
