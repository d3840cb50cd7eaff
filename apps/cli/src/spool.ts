import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiRejectedError, type ApiClient } from './api-client';
import { deliver, type RunReport } from './report';

/** Refusals that may pass later: the key (fixed or granted), a capsule registered later. */
const WAIT_ON = [401, 403, 404];
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
    const entries = await this.pending();
    for (let i = 0; i < entries.length; i++) {
      const { name, current } = entries[i];
      const claimed = await this.claim(current, name);
      if (!claimed) continue; // another flush has it
      const putBack = () => fs.rename(claimed, path.join(this.dir, name)).catch(() => undefined);
      let report: RunReport;
      try {
        report = parseReport(await fs.readFile(claimed, 'utf8'));
      } catch (error) {
        if (error instanceof SyntaxError || error instanceof NotAReport) {
          await this.reject(claimed, name);
          result.rejected++;
          result.lastError = `${name} is not a run report; moved to rejected/`;
          continue;
        }
        await putBack();
        result.lastError = `cannot read ${name}: ${(error as Error).message}`;
        result.waiting += entries.length - i;
        break;
      }
      try {
        await deliver(client, report);
        await fs.rm(claimed, { force: true });
        result.delivered++;
      } catch (error) {
        // Refused for good (the body itself): rejected/. Refused for now (the key, a capsule not
        // registered yet): it waits, the others go on. Not reachable: they all wait.
        if (error instanceof ApiRejectedError) {
          if (WAIT_ON.includes(error.status)) {
            await putBack();
            result.waiting++;
          } else {
            await this.reject(claimed, name);
            result.rejected++;
          }
          result.lastError = error.message;
          continue;
        }
        await putBack();
        result.lastError = error instanceof Error ? error.message : String(error);
        result.waiting += entries.length - i;
        break;
      }
    }
    return result;
  }

  /**
   * The reports waiting, oldest first: each file's report name and its current file name (a
   * claim whose flusher died, unchanged for STALE_CLAIM_MS, is claimed again from its own name).
   */
  async pending(): Promise<{ name: string; current: string }[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const found: { name: string; current: string }[] = [];
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      if (!entry.includes(CLAIM)) {
        if (entry.endsWith(SUFFIX)) found.push({ name: entry, current: entry });
        continue;
      }
      // A rename sets ctime: a claim's age is how long ago it was claimed.
      const stat = await fs.stat(path.join(this.dir, entry)).catch(() => undefined);
      if (stat && Date.now() - stat.ctimeMs > STALE_CLAIM_MS) {
        found.push({ name: entry.slice(0, entry.indexOf(CLAIM)), current: entry });
      }
    }
    return found.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  }

  /** Renames the file to a name only this process uses; null when another process got it first. */
  private async claim(current: string, name: string): Promise<string | null> {
    const claimed = path.join(this.dir, `${name}${CLAIM}${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.rename(path.join(this.dir, current), claimed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return claimed;
  }

  private async reject(claimed: string, name: string): Promise<void> {
    const dir = path.join(this.dir, 'rejected');
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.rename(claimed, path.join(dir, name));
  }
}

class NotAReport extends Error {}

function parseReport(text: string): RunReport {
  const value = JSON.parse(text) as Partial<RunReport> & { version?: unknown };
  if (value.version !== 1 || typeof value.start?.run_key !== 'string' || typeof value.finish?.status !== 'string') {
    throw new NotAReport('not a report');
  }
  return { ...(value.register ? { register: value.register } : {}), start: value.start, finish: value.finish };
}
