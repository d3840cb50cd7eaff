import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import { ApiRejectedError, ApiUnavailableError, type ApiClient } from './api-client';
import { deliver, register, type RunFinish, type RunStart, sendFinish, sendStart } from './report';
import type { Spool } from './spool';

/** The signals passed on to the command (the others keep their default meaning). */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** The API's longest run message. */
const MESSAGE_MAX_CHARS = 4000;

export interface ExecOptions {
  slug: string;
  command: string;
  args: string[];
  actor: string;
  /** Kill the command after this many seconds and report `timeout`. */
  timeoutSeconds?: number;
  /** After the time-out's SIGTERM, SIGKILL after this many seconds. */
  killAfterSeconds: number;
  /** Keep the last this many bytes of stdout and stderr as the run's message (0: nothing). */
  outputTailBytes: number;
  artifactUri?: string;
  /** A file the command produces: its sha256 becomes the run's checksum. */
  checksumFile?: string;
  /** Upsert the capsule with this body first. */
  register?: Record<string, unknown>;
}

/** What the wrapper says on stderr (warnings only unless verbose). */
export interface Say {
  warn(text: string): void;
  info(text: string): void;
}

/** How the command ended. */
interface Ended {
  exitCode: number;
  status: RunFinish['status'];
  /** Why, when the command did not run or was stopped. */
  note?: string;
}

/**
 * Runs the command as if the wrapper were not there (stdin, stdout and stderr passed through,
 * the signals passed on, its exit code returned: 128 + n when a signal ended it) and reports its
 * run exactly once: the start as it begins (in parallel: the command never waits for the API),
 * the finish when it ends. A report the API cannot take after a few tries is spooled for
 * `capsule flush`; nothing about reporting changes what the command does or how it exits.
 */
export async function execWrapped(client: ApiClient, spool: Spool, options: ExecOptions, say: Say): Promise<number> {
  const flushing = spool
    .flush(client)
    .then((r) => r.delivered > 0 && say.info(`delivered ${r.delivered} spooled report(s)`))
    .catch((error: unknown) => say.warn(`could not flush the spool: ${errorText(error)}`));
  const start: RunStart = {
    capsule_slug: options.slug,
    actor: options.actor,
    status: 'running',
    started_at: new Date().toISOString(),
    run_key: randomUUID(),
  };
  const started = (async () => {
    if (options.register) await register(client, options.register);
    return sendStart(client, start);
  })().then(
    (id) => ({ id }) as const,
    (error: unknown) => ({ error }) as const,
  );

  const ended = await runCommand(options);
  const finish: RunFinish = {
    status: ended.status,
    completed_at: new Date().toISOString(),
    exit_code: ended.exitCode,
  };
  const message = ended.note ?? ended.tail;
  if (message) finish.message = message;
  if (options.artifactUri) finish.artifact_uri = options.artifactUri;
  if (options.checksumFile) {
    try {
      finish.checksum = `sha256:${await sha256Of(options.checksumFile)}`;
    } catch (error) {
      say.warn(`no checksum: cannot read ${options.checksumFile} (${errorText(error)})`);
    }
  }

  const report = { ...(options.register ? { register: options.register } : {}), start, finish };
  const outcome = await started;
  try {
    if ('id' in outcome) await sendFinish(client, outcome.id, finish);
    else if (outcome.error instanceof ApiUnavailableError) await deliver(client, report);
    else throw outcome.error;
    say.info(`run recorded (${finish.status}, exit code ${ended.exitCode})`);
  } catch (error) {
    if (error instanceof ApiUnavailableError) {
      const file = await spool.save(report).catch((e: unknown) => {
        say.warn(`the run was not recorded and could not be spooled: ${errorText(e)}`);
        return null;
      });
      if (file) say.warn(`${error.message}; the run report is spooled (${file}); \`capsule flush\` delivers it`);
    } else {
      say.warn(`the run was not recorded: ${errorText(error)}`);
    }
  }
  await flushing;
  return ended.exitCode;
}

/** Runs the command to its end; never throws. */
function runCommand(options: ExecOptions): Promise<Ended & { tail?: string }> {
  return new Promise((resolve) => {
    const capture = options.outputTailBytes > 0;
    const tail = new TailBuffer(options.outputTailBytes);
    let child;
    try {
      child = spawn(options.command, options.args, { stdio: capture ? ['inherit', 'pipe', 'pipe'] : 'inherit' });
    } catch (error) {
      resolve(notStarted(options.command, error));
      return;
    }
    if (capture) {
      for (const [from, to] of [
        [child.stdout!, process.stdout],
        [child.stderr!, process.stderr],
      ] as const) {
        from.on('data', (chunk: Buffer) => tail.push(chunk));
        from.pipe(to, { end: false });
        // Our own output closed (a reader that went away): the command's output is still read.
        to.on('error', () => undefined);
      }
    }
    let signalled: NodeJS.Signals | undefined;
    let timedOut = false;
    const forward = (signal: NodeJS.Signals) => {
      signalled = signal;
      child.kill(signal);
    };
    for (const signal of FORWARDED) process.on(signal, forward);
    let killer: NodeJS.Timeout | undefined;
    const timer =
      options.timeoutSeconds === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
            killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterSeconds * 1000);
          }, options.timeoutSeconds * 1000);
    const done = (result: Ended) => {
      clearTimeout(timer);
      clearTimeout(killer);
      // Signals that come while the report is sent are ignored: the command has ended.
      for (const signal of FORWARDED) {
        process.off(signal, forward);
        process.on(signal, () => undefined);
      }
      resolve({ ...result, tail: capture ? tail.text(MESSAGE_MAX_CHARS) : undefined });
    };
    child.on('error', (error) => done(notStarted(options.command, error)));
    child.on('close', (code, signal) => {
      const exitCode = code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0);
      const status: RunFinish['status'] = timedOut
        ? 'timeout'
        : signalled && exitCode !== 0
          ? 'cancelled'
          : exitCode === 0
            ? 'success'
            : 'error';
      done({ exitCode, status });
    });
  });
}

/** A command that could not start: 127 when it does not exist, 126 when it may not run (as a shell says). */
function notStarted(command: string, error: unknown): Ended {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { exitCode: 127, status: 'error', note: `command not found: ${command}` };
  if (code === 'EACCES') return { exitCode: 126, status: 'error', note: `permission denied: ${command}` };
  return { exitCode: 126, status: 'error', note: `cannot run ${command}` };
}

/** The last `max` bytes of a stream of chunks. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.max) this.size -= this.chunks.shift()!.length;
  }

  /** The tail as text, at most `maxChars` characters from its end. */
  text(maxChars: number): string | undefined {
    const all = Buffer.concat(this.chunks);
    // Invalid UTF-8 becomes U+FFFD; NUL (which the API refuses in text) becomes it too.
    const text = all
      .subarray(Math.max(0, all.length - this.max))
      .toString('utf8')
      .replaceAll('\u0000', '\ufffd');
    const chars = [...text];
    return text.length === 0 ? undefined : chars.slice(Math.max(0, chars.length - maxChars)).join('');
  }
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** An error in words (no stack). */
export function errorText(error: unknown): string {
  if (error instanceof ApiRejectedError || error instanceof ApiUnavailableError) return error.message;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
