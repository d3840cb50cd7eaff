#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ApiClient } from './api-client';
import {
  type CliConfig,
  ConfigError,
  type ConfigFlags,
  defaultConfigFile,
  resolveConfig,
  spoolOnlyConfig,
} from './config';
import { errorText, execWrapped, type Say } from './exec';
import { listCapsules, listRuns, type Out, showSchedule, showStatus } from './read-commands';
import { Spool } from './spool';

const program = new Command('capsule')
  .description(
    'Wrap a job so its runs are recorded in the Capsules API exactly once, and read capsules from a terminal.',
  )
  .enablePositionalOptions()
  .option('--url <url>', 'the API base URL (env CAPSULES_URL; default http://127.0.0.1:8080)')
  .option('--api-key <key>', 'an API key (env CAPSULES_API_KEY)')
  .option('--spool-dir <dir>', 'where undelivered reports wait (env CAPSULES_SPOOL_DIR)')
  .option('--config <file>', `a JSON config file: url, api_key, spool_dir (default ${defaultConfigFile()})`)
  .showHelpAfterError('(capsule --help lists the commands)')
  .addHelpText(
    'after',
    `
Examples:
  capsule exec dawn-dispatch -- python codex_dawn_dispatch.py
  capsule exec nightly-backup --timeout 3600 --output-tail 4096 -- ./backup.sh --full
  capsule ls
  capsule runs dawn-dispatch --limit 20
  capsule flush`,
  );

const positiveInt = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`${name} must be a whole number above 0`);
  return Number(value);
};

const byteSize = (value: string) => {
  const match = /^(\d+)([kKmM]?)$/.exec(value);
  if (!match) throw new InvalidArgumentError('a size in bytes, e.g. 4096 or 4k');
  const unit = match[2].toLowerCase() === 'k' ? 1024 : match[2].toLowerCase() === 'm' ? 1024 * 1024 : 1;
  return Number(match[1]) * unit;
};

function say(verbose: boolean): Say {
  return {
    warn: (text) => process.stderr.write(`capsule: ${text}\n`),
    info: (text) => {
      if (verbose) process.stderr.write(`capsule: ${text}\n`);
    },
  };
}

/** user@host; a container user without a passwd entry is its uid (os.userInfo throws then). */
function defaultActor(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return `${user}@${os.hostname()}`;
}

function out(): Out {
  return { write: (text) => process.stdout.write(text), color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR };
}

function config(): CliConfig {
  return resolveConfig(program.opts<ConfigFlags>());
}

program
  .command('exec')
  .description('run a command and record its run: started, then finished with its status, exit code and duration')
  .argument('<slug>', 'the capsule the run belongs to')
  .argument('<command...>', 'the command and its arguments, after --')
  .option('--actor <name>', 'who ran it (default: user@host)')
  .option(
    '--timeout <seconds>',
    'stop the command after this long (SIGTERM, then SIGKILL) and record a timeout',
    positiveInt('--timeout'),
  )
  .option('--kill-after <seconds>', 'after the time-out, how long before SIGKILL', positiveInt('--kill-after'), 10)
  .option(
    '--output-tail <bytes>',
    'keep the last bytes of the output (e.g. 4k) as the run message; default: none',
    byteSize,
    0,
  )
  .option('--artifact <uri>', 'the URI of what the run produced')
  .option('--checksum <file>', 'a file the command produced: its sha256 is recorded as the checksum')
  .option(
    '--register',
    'register (upsert) the capsule first, from the --title/--kind/--mode/--schedule flags or --register-file',
  )
  .option('--register-file <file>', 'the capsule as JSON, as POST /api/capsules takes it (implies --register)')
  .option('--title <title>', 'with --register: the capsule title (default: the slug)')
  .option('--kind <kind>', 'with --register: the capsule kind (a new capsule: job)')
  .option('--mode <mode>', 'with --register: the capsule mode (a new capsule: automated)')
  .option('--schedule <cron>', 'with --register: the cron schedule')
  .option('--timezone <zone>', 'with --register: the schedule time zone (IANA)')
  .option('-v, --verbose', 'say what was reported (on stderr)')
  .addHelpText(
    'after',
    `
The command's stdin, stdout and stderr pass through untouched, SIGINT, SIGTERM and SIGHUP are
passed on to it, and capsule exits with its exit code (128 + n when signal n ended it), whatever
happens to the report. When the API cannot be reached the report is spooled and delivered by
\`capsule flush\` or the next \`capsule exec\`, exactly once (each run has its own run key).`,
  )
  .action(async (slug: string, command: string[], options: Record<string, unknown>) => {
    const speak = say(Boolean(options.verbose));
    let cfg: CliConfig;
    try {
      cfg = config();
    } catch (error) {
      // Never keep the job from running: report nowhere, spool to the default place.
      speak.warn(`${errorText(error)}; the run will be spooled`);
      cfg = spoolOnlyConfig(program.opts<ConfigFlags>());
    }
    let register: Record<string, unknown> | undefined;
    try {
      register = await registration(slug, options);
    } catch (error) {
      speak.warn(`not registering: ${errorText(error)}`);
    }
    const [cmd, ...args] = command;
    const code = await execWrapped(
      new ApiClient(cfg),
      new Spool(cfg.spoolDir),
      {
        slug,
        command: cmd,
        args,
        actor: (options.actor as string | undefined) ?? defaultActor(),
        timeoutSeconds: options.timeout as number | undefined,
        killAfterSeconds: options.killAfter as number,
        outputTailBytes: options.outputTail as number,
        artifactUri: options.artifact as string | undefined,
        checksumFile: options.checksum as string | undefined,
        register,
      },
      speak,
    );
    // The report is on disk by now: requests still in flight past exec's deadlines (an API that
    // accepts and never answers, a long spool) must not hold the job's exit; the spool keeps them.
    process.exit(code);
  });

/** The capsule fields to register: those given (a file's, or the flags'), with the slug. */
async function registration(
  slug: string,
  options: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  if (options.registerFile) {
    const value = JSON.parse(await readFile(options.registerFile as string, 'utf8')) as Record<string, unknown>;
    return { ...value, slug };
  }
  if (!options.register) return undefined;
  const given = Object.entries({
    title: options.title,
    kind: options.kind,
    mode: options.mode,
    schedule: options.schedule,
    timezone: options.timezone,
  }).filter(([, value]) => value !== undefined);
  return { slug, ...Object.fromEntries(given) };
}

program
  .command('flush')
  .description('deliver the spooled run reports (exit 1 while some still cannot be delivered)')
  .action(async () => {
    const cfg = config();
    const spool = new Spool(cfg.spoolDir);
    const result = await spool.flush(new ApiClient(cfg));
    process.stdout.write(`delivered ${result.delivered}, waiting ${result.waiting}, rejected ${result.rejected}\n`);
    if (result.lastError) process.stderr.write(`capsule: ${result.lastError}\n`);
    if (result.waiting > 0 || result.rejected > 0) process.exitCode = 1;
  });

program
  .command('ls')
  .description('every capsule: state, last run, next run, success rate')
  .option('--kind <kind>', 'only capsules of this kind')
  .option('--json', 'JSON instead of a table')
  .action(async (options: { kind?: string; json?: boolean }) => {
    await listCapsules(new ApiClient(config()), out(), { json: Boolean(options.json), kind: options.kind });
  });

program
  .command('status')
  .description("a capsule's definition, state, last and next run")
  .argument('<slug>')
  .option('--json', 'JSON instead of text')
  .action(async (slug: string, options: { json?: boolean }) => {
    await showStatus(new ApiClient(config()), out(), slug, { json: Boolean(options.json) });
  });

program
  .command('runs')
  .description("a capsule's runs, newest first, a page at a time")
  .argument('<slug>')
  .addOption(new Option('--limit <n>', 'runs per page').argParser(positiveInt('--limit')).default(20))
  .option('--cursor <cursor>', 'the page after the one that printed this cursor')
  .option('--json', 'JSON instead of a table')
  .action(async (slug: string, options: { limit: number; cursor?: string; json?: boolean }) => {
    await listRuns(new ApiClient(config()), out(), slug, { ...options, json: Boolean(options.json) });
  });

program
  .command('schedule')
  .description("a capsule's next fire times, in UTC and local time with the offset")
  .argument('<slug>')
  .addOption(new Option('--count <n>', 'how many').argParser(positiveInt('--count')).default(5))
  .option('--json', 'JSON instead of a table')
  .action(async (slug: string, options: { count: number; json?: boolean }) => {
    await showSchedule(new ApiClient(config()), out(), slug, { ...options, json: Boolean(options.json) });
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  // Said in words, never a stack: 2 for a usage or configuration problem, 1 for the API's answer.
  process.stderr.write(`capsule: ${errorText(error)}\n`);
  process.exitCode = error instanceof ConfigError ? 2 : 1;
});
