import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup, literalRefusal } from './destination';

/** Bytes of a receiver's answer read at most (the rest is dropped): receivers answer small. */
export const RESPONSE_BYTES_CAP = 64 * 1024;

export interface PostOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  headers: Record<string, string>;
}

export interface PostResult {
  statusCode: number;
}

/**
 * POSTs `body` to `url` and resolves with the status code (any: the caller decides what counts
 * as delivered). Refuses forbidden destinations, follows no redirects (a 3xx is an answer, not
 * a new destination), gives up after `timeoutMs` from the start, and reads at most
 * RESPONSE_BYTES_CAP of the answer.
 */
export function postJson(url: URL, body: string, options: PostOptions): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const refused = literalRefusal(url, options.allowPrivate);
    if (refused) return reject(refused);
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      lookup: guardedLookup(options.allowPrivate),
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'capsules-api-alerts',
        ...options.headers,
      },
    });
    const deadline = setTimeout(
      () =>
        request.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      options.timeoutMs,
    );
    request.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    request.on('response', (response) => {
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > RESPONSE_BYTES_CAP) response.destroy();
      });
      const done = () => {
        clearTimeout(deadline);
        resolve({ statusCode: response.statusCode ?? 0 });
      };
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    request.end(body);
  });
}
