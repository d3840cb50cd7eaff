import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiRejectedError, ApiUnavailableError, type ApiClient } from './api-client';
import { deliver, type RunReport } from './report';

/** A claimed file whose flusher died is claimable again after this long. */
const STALE_CLAIM_MS = 10 * 60_000;
const SUFFIX = '.json';
const CLAIM = '.sending-';

export interface FlushResult {
  delivered: number;
  /** Still spooled: the API could not be reached. */
  waiting: number;
  /** Moved to `rejected/`: the API refused them (they would never go through). */
  rejected: number;
  /** Why the last one failed, when one did. */
  lastError?: string;
}

/**
 * Reports the API could not take, one JSON file each, written atomically (a temporary file
 * renamed into place). A flush claims a file by renaming it (only one flusher can), delivers it
 * (exactly once thanks to the run key), and deletes it; one it cannot deliver now goes back.
 */
export class Spool {
  constructor(readonly dir: string) {}

  async save(report: RunReport): Promise<string> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const name = `${Date.now()}-${report.start.run_key}${SUFFIX}`;
    const temporary = path.join(this.dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
    await fs.writeFile(temporary, JSON.stringify({ version: 1, ...report }), { mode: 0o600 });
    await fs.rename(temporary, path.join(this.dir, name));
    return path.join(this.dir, name);
  }

  /** Delivers every spooled report (oldest first); stops at the first the API cannot take now. */
  async flush(client: ApiClient): Promise<FlushResult> {
    const result: FlushResult = { delivered: 0, waiting: 0, rejected: 0 };
    const names = await this.pending();
    for (let i = 0; i < names.length; i++) {
      const claimed = await this.claim(names[i]);
      if (!claimed) continue; // another flush has it
      let report: RunReport;
      try {
        report = parseReport(await fs.readFile(claimed, 'utf8'));
      } catch {
        await this.reject(claimed, names[i]);
        result.rejected++;
        result.lastError = `${names[i]} is not a report; moved to rejected/`;
        continue;
      }
      try {
        await deliver(client, report);
        await fs.rm(claimed, { force: true });
        result.delivered++;
      } catch (error) {
        if (error instanceof ApiRejectedError) {
          await this.reject(claimed, names[i]);
          result.rejected++;
          result.lastError = error.message;
          continue;
        }
        await fs.rename(claimed, path.join(this.dir, names[i])).catch(() => undefined);
        result.lastError = error instanceof ApiUnavailableError ? error.message : String(error);
        result.waiting = names.length - i;
        break;
      }
    }
    return result;
  }

  /** The reports waiting (file names, oldest first), stale claims released first. */
  async pending(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    for (const entry of entries.filter((e) => e.includes(CLAIM))) {
      const full = path.join(this.dir, entry);
      const stat = await fs.stat(full).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > STALE_CLAIM_MS) {
        await fs.rename(full, path.join(this.dir, entry.slice(0, entry.indexOf(CLAIM)))).catch(() => undefined);
      }
    }
    return (await fs.readdir(this.dir))
      .filter((e) => e.endsWith(SUFFIX) && !e.startsWith('.') && !e.includes(CLAIM))
      .sort();
  }

  /** Renames the file to a name only this process uses; null when another process got it first. */
  private async claim(name: string): Promise<string | null> {
    const claimed = path.join(this.dir, `${name}${CLAIM}${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.rename(path.join(this.dir, name), claimed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    // A fresh mtime: the claim is not taken for a stale one while it is being sent.
    const now = new Date();
    await fs.utimes(claimed, now, now).catch(() => undefined);
    return claimed;
  }

  private async reject(claimed: string, name: string): Promise<void> {
    const dir = path.join(this.dir, 'rejected');
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.rename(claimed, path.join(dir, name));
  }
}

function parseReport(text: string): RunReport {
  const value = JSON.parse(text) as Partial<RunReport> & { version?: unknown };
  if (value.version !== 1 || typeof value.start?.run_key !== 'string' || typeof value.finish?.status !== 'string') {
    throw new Error('not a report');
  }
  return { ...(value.register ? { register: value.register } : {}), start: value.start, finish: value.finish };
}
