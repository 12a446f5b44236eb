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
  /** Keep-alive connections to reuse; without one, every request opens its own. */
  pool?: ConnectionPool;
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

/** Idle pooled connections are closed after this long (well under common server keep-alive timeouts). */
const IDLE_SOCKET_MS = 4_000;
/** Destinations whose connections are kept; the least recently used beyond this are closed. */
const MAX_POOLED_DESTINATIONS = 500;

/**
 * Keep-alive agents, one per destination *and approved address*: a pooled
 * socket is only ever reused for a request whose address check, made for
 * that very request, approved the address the socket is connected to. A name
 * that now resolves elsewhere gets another agent (and a fresh connection to
 * the newly checked address), so pooling cannot carry a request past the
 * policy. Reuse spares a TCP (and TLS) handshake per delivery.
 */
export class ConnectionPool {
  private readonly agents = new Map<string, http.Agent>();

  constructor(private readonly maxDestinations = MAX_POOLED_DESTINATIONS) {}

  /** The agent for `target` pinned to `pinned`, most recently used last. */
  agentFor(target: URL, pinned: PinnedAddress): http.Agent {
    const key = `${target.protocol}//${target.host}@${pinned.address}`;
    let agent = this.agents.get(key);
    if (agent) this.agents.delete(key);
    else {
      const options = { keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' as const };
      agent = target.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    }
    this.agents.set(key, agent);
    for (const [oldest, stale] of this.agents) {
      if (this.agents.size <= this.maxDestinations) break;
      this.agents.delete(oldest);
      stale.destroy();
    }
    return agent;
  }

  /** Closes every pooled connection. */
  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

/** Errors of a reused keep-alive socket that the server had closed: the request never reached it. */
const STALE_SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE']);

/**
 * POSTs `body` to `url` once. The destination is checked when the
 * connection is made (every resolved address, then the socket pinned to the
 * approved one); redirects are not followed; one timer bounds the whole
 * exchange; at most `maxBodyBytes` of the response are read, then the
 * connection is dropped. With a `pool`, an idle connection to the same
 * approved address is reused, and a request that a reused connection lost
 * before any answer (the server had just closed it) is sent once more on a
 * fresh one. Never throws: failures come back as `error`.
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

    const send = (target: URL, pinned: PinnedAddress, pooled: boolean) => {
      const client = target.protocol === 'https:' ? https : http;
      let answered = false;
      const current = client.request(
        {
          method: 'POST',
          protocol: target.protocol,
          hostname: bareHost(target.hostname),
          port: target.port || undefined,
          path: `${target.pathname}${target.search}`,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          // Pooled: only sockets connected to this approved address (see ConnectionPool); otherwise a fresh one.
          agent: pooled && options.pool ? options.pool.agentFor(target, pinned) : false,
          lookup: pinnedLookup(pinned),
        },
        (response) => {
          answered = true;
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
      request = current;
      current.on('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        if (pooled && current.reusedSocket && !answered && STALE_SOCKET_ERRORS.has(error.code ?? '')) return send(target, pinned, false);
        finish({ error: describe(error) });
      });
      current.end(body);
    };

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
      send(target, pinned, true);
    };
    void start();
  });
}
