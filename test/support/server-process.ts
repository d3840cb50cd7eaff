import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { freePort } from './free-port';

/** The built server (`npm test`'s pretest builds it). */
export const MAIN = path.resolve(__dirname, '../../dist/apps/api/src/main.js');

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** A JSON log line, or the text of anything else the process printed. */
function parseLine(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { text };
  }
}

/** Starts the built server as a child process on a free port (or `port`), its log lines collected. */
export async function startServer(env: Record<string, string>, port?: number): Promise<ServerProcess> {
  port ??= await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      MIGRATE_ON_BOOT: 'false',
      RATE_LIMIT_PER_IP: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts.filter(Boolean)) lines.push(parseLine(part));
  });
  child.stderr.on('data', (chunk: Buffer) => lines.push({ stderr: chunk.toString('utf8') }));
  // 'close', not 'exit': every line the process printed has been read by then.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  return { child, port, lines, exited };
}
