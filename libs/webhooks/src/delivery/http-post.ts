import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AddressPolicy, bareHost, systemResolver, type PinnedAddress, type Resolver } from './address-policy.js';

/** What one POST produced: a response (any status), or an error before one arrived. */
export interface PostOutcome {
  /** Status code of the response, when one arrived. */
  statusCode?: number;
  /** The Retry-After header, verbatim. */
  retryAfter?: string;
  /** The response body's first bytes (UTF-8, capped). */
  body?: string;
  /** Why no response arrived: refused destination, DNS, connection, TLS or timeout. */
  error?: string;
  /** From the start of the attempt to the end of the (capped) response or the error. */
  latencyMs: number;
}

export interface PostOptions {
  policy: AddressPolicy;
  timeoutMs: number;
  maxBodyBytes: number;
  resolver?: Resolver;
}

/** A lookup that answers with the address the policy approved, in either callback form. */
function pinnedLookup(pinned: PinnedAddress): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  }) as unknown as LookupFunction;
}

function describe(error: NodeJS.ErrnoException): string {
  return error.code ? `${error.code}: ${error.message}` : error.message;
}

/**
 * POSTs `body` to `url` once. The destination is checked when the
 * connection is made (every resolved address, then the socket pinned to the
 * approved one); redirects are not followed; one timer bounds the whole
 * exchange; at most `maxBodyBytes` of the response are read, then the
 * connection is dropped. Never throws: failures come back as `error`.
 */
export function postWebhook(url: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise<PostOutcome>((resolve) => {
    let request: http.ClientRequest | undefined;
    let settled = false;
    const finish = (outcome: Omit<PostOutcome, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, latencyMs: elapsed() });
    };
    const timer = setTimeout(() => {
      finish({ error: `timed out after ${options.timeoutMs} ms` });
      request?.destroy();
    }, options.timeoutMs);

    const start = async () => {
      const problem = options.policy.checkUrl(url);
      if (problem) return finish({ error: `refused: the URL ${problem}` });
      const target = new URL(url);
      let pinned: PinnedAddress;
      try {
        pinned = await options.policy.resolve(target, options.resolver ?? systemResolver);
      } catch (error) {
        return finish({ error: (error as Error).message });
      }
      if (settled) return;
      const client = target.protocol === 'https:' ? https : http;
      request = client.request(
        {
          method: 'POST',
          protocol: target.protocol,
          hostname: bareHost(target.hostname),
          port: target.port || undefined,
          path: `${target.pathname}${target.search}`,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          // A fresh connection each time: no pooled socket outlives the address check it passed.
          agent: false,
          lookup: pinnedLookup(pinned),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const done = () =>
            finish({
              statusCode: response.statusCode,
              retryAfter: typeof response.headers['retry-after'] === 'string' ? response.headers['retry-after'] : undefined,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          response.on('data', (chunk: Buffer) => {
            if (size < options.maxBodyBytes) chunks.push(chunk.subarray(0, options.maxBodyBytes - size));
            size += chunk.length;
            if (size >= options.maxBodyBytes) {
              done();
              response.destroy();
            }
          });
          response.on('end', done);
          response.on('close', done);
          response.on('error', done);
        },
      );
      request.on('error', (error) => finish({ error: describe(error) }));
      request.end(body);
    };
    void start();
  });
}
