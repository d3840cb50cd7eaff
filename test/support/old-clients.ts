import net from 'node:net';

/**
 * The old service's clients, as bytes on the wire: each request is written
 * to a TCP socket exactly as that client writes it (request line, headers in
 * its order, body as its serialiser prints it), and the answer is parsed as
 * it arrives. Nothing in between tidies a header or re-serialises a body.
 *
 * - The Python smoke script (`requests.post(url, json=…)`): `json.dumps`
 *   with `", "` and `": "` separators, keys in insertion order, non-ASCII
 *   escaped; one connection per call. The bytes were checked once against what
 *   requests 2.34.2 sends; they differ from 2.32.3's only in the User-Agent.
 * - The PowerShell demo (`@{…} | ConvertTo-Json`, then `Invoke-RestMethod
 *   -ContentType "application/json" -Body $json`): Windows PowerShell 5.1
 *   pretty-prints with CRLF, four spaces and `":  "`, and .NET Framework sends
 *   `Expect: 100-continue`, then waits for the interim 100 before the body;
 *   PowerShell 7 indents with two spaces and `": "` and sends no Expect.
 *   A hashtable's key order is .NET's hash order, not the script's: the
 *   replays send the keys reversed, so no test leans on the order.
 */

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Interim answers before the final one (e.g. 100 Continue). */
  interim: number[];
  json<T = unknown>(): T;
}

type Flat = Record<string, string>;

const CRLF = '\r\n';

/** Python's `json.dumps(obj)` for a flat object of strings (ensure_ascii on). */
export function pythonJsonDumps(obj: Flat): string {
  const str = (s: string) =>
    JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `{${Object.entries(obj)
    .map(([k, v]) => `${str(k)}: ${str(v)}`)
    .join(', ')}}`;
}

/** `ConvertTo-Json` of a hashtable of strings, as Windows PowerShell 5.1 (JavaScriptSerializer) prints it. */
export function windowsPowerShellJson(obj: Flat): string {
  const str = (s: string) =>
    JSON.stringify(s).replace(/[<>&']/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const lines = Object.entries(obj)
    .reverse()
    .map(([k, v]) => `    ${str(k)}:  ${str(v)}`);
  return `{${CRLF}${lines.join(`,${CRLF}`)}${CRLF}}`;
}

/** `ConvertTo-Json` of a hashtable of strings, as PowerShell 7 on Windows prints it. */
export function powerShell7Json(obj: Flat): string {
  const lines = Object.entries(obj)
    .reverse()
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{${CRLF}${lines.join(`,${CRLF}`)}${CRLF}}`;
}

export interface OldClient {
  get(path: string): Promise<RawAnswer>;
  post(path: string, body: string): Promise<RawAnswer>;
}

/** `requests.get` / `requests.post(…, json=…)` of python-requests. */
export function pythonRequests(port: number): OldClient {
  const head = (method: string, path: string) => [
    `${method} ${path} HTTP/1.1`,
    `Host: localhost:${port}`,
    'User-Agent: python-requests/2.32.3',
    'Accept-Encoding: gzip, deflate',
    'Accept: */*',
    'Connection: keep-alive',
  ];
  return {
    get: (path) => exchange(port, [...head('GET', path), '', ''].join(CRLF)),
    post: (path, body) => {
      const bytes = Buffer.from(body, 'utf8');
      const lines = [...head('POST', path), `Content-Length: ${bytes.length}`, 'Content-Type: application/json'];
      return exchange(port, [...lines, '', ''].join(CRLF), bytes);
    },
  };
}

/** `Invoke-RestMethod` of Windows PowerShell 5.1 (.NET Framework's HttpWebRequest). */
export function windowsPowerShell(port: number): OldClient {
  const agent = 'User-Agent: Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.5247';
  return {
    get: (path) =>
      exchange(
        port,
        [`GET ${path} HTTP/1.1`, agent, `Host: localhost:${port}`, 'Connection: Keep-Alive', '', ''].join(CRLF),
      ),
    post: (path, body) => {
      // A string body without a charset goes out as ISO-8859-1; the demo's bodies are ASCII.
      const bytes = Buffer.from(body, 'latin1');
      const lines = [
        `POST ${path} HTTP/1.1`,
        agent,
        'Content-Type: application/json',
        `Host: localhost:${port}`,
        `Content-Length: ${bytes.length}`,
        'Expect: 100-continue',
        'Connection: Keep-Alive',
      ];
      return exchange(port, [...lines, '', ''].join(CRLF), bytes, { waitForContinue: true });
    },
  };
}

/** `Invoke-RestMethod` of PowerShell 7 (.NET's HttpClient). */
export function powerShell7(port: number): OldClient {
  const head = (method: string, path: string) => [
    `${method} ${path} HTTP/1.1`,
    `Host: localhost:${port}`,
    'User-Agent: Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.26100; en-US) PowerShell/7.4.6',
  ];
  return {
    get: (path) => exchange(port, [...head('GET', path), '', ''].join(CRLF)),
    post: (path, body) => {
      const bytes = Buffer.from(body, 'utf8');
      const lines = [...head('POST', path), 'Content-Type: application/json', `Content-Length: ${bytes.length}`];
      return exchange(port, [...lines, '', ''].join(CRLF), bytes);
    },
  };
}

/**
 * One request on a new connection, answer read to its end (Content-Length or
 * chunked), then the connection is closed, as these clients do between calls.
 */
export function exchange(port: number, head: string, body?: Buffer, options: { waitForContinue?: boolean } = {}) {
  return new Promise<RawAnswer>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const interim: number[] = [];
    let bodySent = !body;
    const sendBody = () => {
      if (bodySent || !body) return;
      bodySent = true;
      socket.write(body);
    };
    const timer = setTimeout(() => fail(new Error('no complete answer within 10 s')), 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.on('error', fail);
    socket.on('connect', () => {
      socket.write(head);
      // .NET Framework sends the body after the 100 or after 350 ms without one.
      if (options.waitForContinue) setTimeout(sendBody, 350);
      else sendBody();
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      for (;;) {
        const parsed = parseAnswer(received);
        if (parsed === undefined) return;
        if (parsed.status >= 100 && parsed.status < 200) {
          interim.push(parsed.status);
          received = received.subarray(parsed.length);
          if (parsed.status === 100) sendBody();
          continue;
        }
        clearTimeout(timer);
        socket.destroy();
        resolve({
          ...parsed,
          interim,
          json: <T>() => JSON.parse(parsed.body.toString('utf8')) as T,
        });
        return;
      }
    });
  });
}

function parseAnswer(
  data: Buffer,
): { status: number; headers: Record<string, string>; body: Buffer; length: number } | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...headerLines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const start = end + 4;
  if (status < 200 || status === 204 || status === 304)
    return { status, headers, body: Buffer.alloc(0), length: start };
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (data.length < start + length) return undefined;
    return { status, headers, body: data.subarray(start, start + length), length: start + length };
  }
  if (headers['transfer-encoding'] === 'chunked') {
    const parts: Buffer[] = [];
    let at = start;
    for (;;) {
      const lineEnd = data.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
      if (data.length < lineEnd + 2 + size + 2) return undefined;
      if (size === 0) return { status, headers, body: Buffer.concat(parts), length: lineEnd + 4 };
      parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  throw new Error(`answer ${status} has neither Content-Length nor chunked encoding`);
}
