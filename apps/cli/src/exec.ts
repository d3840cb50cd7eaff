import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import { ApiRejectedError, ApiUnavailableError, type ApiClient } from './api-client';
import { deliver, register, type RunFinish, type RunStart, sendFinish, sendStart } from './report';
import type { Spool } from './spool';

/** The signals passed on to the command (the others keep their default meaning). */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** The longest the finish is tried after the command ended; then the report waits in the spool. */
const REPORT_DEADLINE_MS = 10_000;
/** The longest the background flush of earlier reports is waited for after that. */
const FLUSH_GRACE_MS = 5_000;
/** After the command exits, how long its pipes may stay open (a background child holding them). */
const PIPE_DRAIN_MS = 1_000;
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
    if (options.register) {
      await register(client, options.register).catch((error: unknown) => {
        if (!(error instanceof ApiRejectedError)) throw error;
        say.warn(`not registered: ${error.message}`);
      });
    }
    return sendStart(client, start);
  })().then(
    (id) => ({ id }) as const,
    (error: unknown) => ({ error }) as const,
  );

  const ended = await runCommand(options);
  // From here a signal ends the wrapper (with the command's code) as soon as the report is on
  // disk: registered at once (the command's forwarding ended in the same tick), so a signal while
  // the checksum is computed is not lost.
  let onDisk = false;
  let exitWhenOnDisk = false;
  const leave = () => (onDisk ? process.exit(ended.exitCode) : (exitWhenOnDisk = true));
  for (const signal of FORWARDED) process.on(signal, leave);
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
  // Written ahead: the report is on disk before it is sent, and deleted once the API has it, so a
  // signal or a kill while it is being sent loses nothing.
  const file = await spool.save(report).catch((e: unknown) => {
    say.warn(`the run report could not be spooled: ${errorText(e)}`);
    return null;
  });
  onDisk = true;
  if (exitWhenOnDisk) process.exit(ended.exitCode);
  const deadline = new Deferred();
  const timer = setTimeout(
    () => deadline.fail(new ApiUnavailableError(`no answer within ${REPORT_DEADLINE_MS / 1000} s`)),
    REPORT_DEADLINE_MS,
  );
  try {
    await Promise.race([
      deadline.promise,
      (async () => {
        const outcome = await started;
        if ('id' in outcome) await sendFinish(client, outcome.id, finish);
        else if (outcome.error instanceof ApiUnavailableError) await deliver(client, report);
        else throw outcome.error;
      })(),
    ]);
    if (file) await rm(file, { force: true });
    say.info(`run recorded (${finish.status}, exit code ${ended.exitCode})`);
  } catch (error) {
    if (error instanceof ApiUnavailableError && file) {
      say.warn(`${error.message}; the run report is spooled (${file}); \`capsule flush\` delivers it`);
    } else {
      if (file) await rm(file, { force: true });
      say.warn(`the run was not recorded: ${errorText(error)}`);
    }
  } finally {
    clearTimeout(timer);
  }
  // The backlog of earlier reports is delivered while there is time; what is left waits.
  await Promise.race([flushing, new Promise((resolve) => setTimeout(resolve, FLUSH_GRACE_MS).unref())]);
  return ended.exitCode;
}

/** A promise rejected from outside. */
class Deferred {
  fail!: (error: Error) => void;
  readonly promise = new Promise<never>((_, reject) => (this.fail = reject));
}

/**
 * Runs the command to its end; never throws. With a time-out the command gets a process group of
 * its own, so the time-out (and a forwarded signal) reaches what it started too; without one it
 * stays in the wrapper's group, where an interactive command can read its terminal.
 */
function runCommand(options: ExecOptions): Promise<Ended & { tail?: string }> {
  return new Promise((resolve) => {
    const capture = options.outputTailBytes > 0;
    const tail = new TailBuffer(options.outputTailBytes);
    const group = options.timeoutSeconds !== undefined;
    let child: ChildProcess;
    try {
      child = spawn(options.command, options.args, {
        stdio: capture ? ['inherit', 'pipe', 'pipe'] : 'inherit',
        detached: group,
      });
    } catch (error) {
      resolve(notStarted(options.command, error));
      return;
    }
    const streams = capture ? [child.stdout!, child.stderr!] : [];
    if (capture) {
      for (const [from, to] of [
        [child.stdout!, process.stdout],
        [child.stderr!, process.stderr],
      ] as const) {
        from.on('data', (chunk: Buffer) => tail.push(chunk));
        from.pipe(to, { end: false });
        // Our reader went away (`| head`): the command's next write fails, as without the wrapper.
        to.on('error', () => from.destroy());
      }
    }
    const send = (signal: NodeJS.Signals) => {
      try {
        if (group && child.pid !== undefined) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // Already gone.
      }
    };
    let signalled: NodeJS.Signals | undefined;
    let timedOut = false;
    const forward = (signal: NodeJS.Signals) => {
      signalled = signal;
      send(signal);
    };
    for (const signal of FORWARDED) process.on(signal, forward);
    let killer: NodeJS.Timeout | undefined;
    const timer = group
      ? setTimeout(() => {
          timedOut = true;
          send('SIGTERM');
          killer = setTimeout(() => send('SIGKILL'), options.killAfterSeconds * 1000);
        }, options.timeoutSeconds! * 1000)
      : undefined;
    let finished = false;
    const done = (result: Ended) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(killer);
      // Signals that come while the report is written are the wrapper's (execWrapped's).
      for (const signal of FORWARDED) process.off(signal, forward);
      resolve({ ...result, tail: capture ? tail.text(MESSAGE_MAX_CHARS) : undefined });
    };
    child.on('error', (error) => done(notStarted(options.command, error)));
    child.on('exit', (code, signal) => {
      const exitCode = code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0);
      const status: RunFinish['status'] = timedOut
        ? 'timeout'
        : signalled && exitCode !== 0
          ? 'cancelled'
          : exitCode === 0
            ? 'success'
            : 'error';
      // The output the command wrote is read to its end; a child it left behind holding the
      // pipes does not keep the wrapper waiting.
      const drained = () => done({ exitCode, status });
      if (streams.every((stream) => stream.readableEnded || stream.destroyed)) return drained();
      child.once('close', drained);
      setTimeout(() => {
        streams.forEach((stream) => stream.destroy());
        drained();
      }, PIPE_DRAIN_MS).unref();
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
