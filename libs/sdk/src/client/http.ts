import { SigfedNetworkError } from './errors.js';
import { parseRetryAfter } from './retry.js';

/** The subset of `fetch` the client uses; pass your own for proxies, tracing or tests. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** A response read to the end: status, the body parsed as JSON when it is JSON, and Retry-After. */
export interface HttpAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly json: unknown;
  readonly retryAfterMs?: number;
}

/**
 * Sends one request and reads the whole answer. Anything that prevents an answer (refused or
 * reset connection, DNS, timeout, a body cut short) becomes a SigfedNetworkError, which the
 * retry policy treats as transient.
 */
export async function send(fetchFn: FetchLike, url: string, init: RequestInit, timeoutMs: number): Promise<HttpAnswer> {
  try {
    const response = await fetchFn(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined; // e.g. a proxy's HTML error page: the status says enough
    }
    return {
      status: response.status,
      statusText: response.statusText,
      json,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    };
  } catch (error) {
    throw new SigfedNetworkError(describeFailure(error, url, timeoutMs), { cause: error });
  }
}

function describeFailure(error: unknown, url: string, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer from ${url} within ${timeoutMs} ms`;
  // undici reports every failure as "fetch failed" and puts the useful part in `cause`.
  const reason = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
  return `cannot reach ${url}: ${reason}`;
}
