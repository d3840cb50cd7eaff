import type { CliConfig } from './config';

/** The API could not be reached or could not answer now (network, time-out, 5xx, 429): worth retrying later. */
export class ApiUnavailableError extends Error {}

/** The API refused the request (4xx): retrying the same request will not help. */
export class ApiRejectedError extends Error {
  constructor(
    readonly status: number,
    /** The problem's stable code (e.g. CAPSULE_NOT_FOUND), when the API gave one. */
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  /** Tries in all (default 3): the waits between them grow (0.3 s, 1.2 s, …, with jitter). */
  attempts?: number;
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/**
 * A small JSON client of the Capsules API (fetch, no dependency): every request has a deadline,
 * unavailable answers are retried briefly with backoff, and errors say what happened in words
 * (never a stack or a driver's text).
 */
export class ApiClient {
  constructor(
    private readonly config: CliConfig,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  get baseUrl(): string {
    return this.config.url;
  }

  /** A GET of the read commands: tried twice (someone is waiting at a terminal). */
  read<T>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, undefined, { attempts: 2 });
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    // Without a configuration there is nowhere to send: no lookups, no retries, spooled at once.
    if (this.config.offline) throw new ApiUnavailableError('not sent: the configuration could not be read');
    const attempts = options.attempts ?? 3;
    let last: ApiUnavailableError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await this.sleep(300 * 4 ** (attempt - 1) * (0.75 + Math.random() * 0.5));
      try {
        return await this.once<T>(method, path, body);
      } catch (error) {
        if (!(error instanceof ApiUnavailableError)) throw error;
        last = error;
      }
    }
    throw last!;
  }

  private async once<T>(method: string, path: string, body: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    let res: Response;
    try {
      res = await fetch(`${this.config.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.config.requestTimeoutMs),
      });
    } catch (error) {
      throw new ApiUnavailableError(`cannot reach ${this.config.url}: ${networkReason(error, this.config)}`);
    }
    const text = await res.text().catch(() => '');
    const parsed = parseJson(text);
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      throw new ApiUnavailableError(`${this.config.url} answered ${res.status}${problemText(parsed)}`);
    }
    if (res.status >= 400) {
      const code = typeof parsed?.code === 'string' ? parsed.code : undefined;
      throw new ApiRejectedError(
        res.status,
        code,
        `the API refused ${method} ${path}: ${res.status}${problemText(parsed)}`,
      );
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A problem+json answer's words: its detail (it names the invalid fields), else its title. */
function problemText(problem: Record<string, unknown> | undefined): string {
  const words = typeof problem?.detail === 'string' ? problem.detail : problem?.title;
  return typeof words === 'string' && words ? ` ${words}` : '';
}

function networkReason(error: unknown, config: CliConfig): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${config.requestTimeoutMs / 1000} s`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return (code && NETWORK_ERRORS[code]) ?? 'the connection failed';
}
