import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws/client';
import type { GraphQLErrorItem } from './errors.js';
import { ALERT_FIELDS, type Alert } from './operations.js';
import { isTransient } from './retry.js';

/** The alert event types, the same names webhooks use. */
export type AlertEventType = 'alert.created' | 'alert.updated' | 'alert.closed';

/** One change to one of the member's alerts, as `alertEvents` delivers it. */
export interface AlertEvent {
  /** Increasing among the member's events; the resume point (`after`) of a later subscription. */
  readonly id: string;
  readonly type: AlertEventType;
  /** The alert's version this change made (the alert itself may be at a later one when replayed). */
  readonly version: number;
  /** When correlation made the change, to the hour (UTC). */
  readonly occurredAt: string;
  readonly alert: Alert;
}

/** Subscribes to the member's alert events, resuming after `$after` when given. */
export const ALERT_EVENTS = /* GraphQL */ `
  subscription AlertEvents($after: ID) {
    alertEvents(after: $after) {
      id
      type
      version
      occurredAt
      alert {
        ${ALERT_FIELDS}
      }
    }
  }
`;

/** Why a subscription ended for good. */
export type AlertStreamEndCode =
  /** `after` is past the server's retention (ALERT_EVENT_RETENTION_HOURS): re-sync with `alerts`, then subscribe without it. */
  | 'RESUME_POINT_EXPIRED'
  /** The member is suspended or the key revoked (close code 4403). */
  | 'FORBIDDEN'
  /** The server refused the subscription itself (bad input, a close code retrying cannot mend). */
  | 'REFUSED';

/** A subscription that cannot go on: reconnecting would not help. */
export class SigfedStreamError extends Error {
  override readonly name = 'SigfedStreamError';

  constructor(
    message: string,
    readonly code: AlertStreamEndCode,
    /** The WebSocket close code, when the server closed the connection. */
    readonly closeCode?: number,
    readonly errors: readonly GraphQLErrorItem[] = [],
  ) {
    super(message);
  }
}

/** Where the stream gets its bearer tokens: the client's token cache. */
export interface StreamTokenSource {
  get(): Promise<string>;
  /** Drops `token` from the cache (the server refused it), so the next `get` obtains a fresh one. */
  invalidate(token: string): void;
}

/** Why the stream is reconnecting, told to `onReconnect`. */
export interface ReconnectInfo {
  /** The close code, when the server closed the connection (4401: the token expired). */
  readonly closeCode?: number;
  readonly reason: string;
  /** The resume point sent on reconnecting (the last event received). */
  readonly after?: string;
  /** Wait before reconnecting. */
  readonly delayMs: number;
}

/** Options of `SigfedClient.alertEvents`. */
export interface AlertEventsOptions {
  /** Resume after this event id (the `id` of the last event received earlier); default: live events only. */
  readonly after?: string;
  /** Ends the iteration when aborted. */
  readonly signal?: AbortSignal;
  /** A WebSocket class; default the global one, else the `ws` package (Node 20 has no WebSocket client). */
  readonly webSocketImpl?: unknown;
  /** Reconnect backoff after failures: doubles from `baseDelayMs` up to `maxDelayMs`, with jitter; defaults 500 ms and 30 s. */
  readonly backoff?: { readonly baseDelayMs?: number; readonly maxDelayMs?: number };
  /** Called before each reconnect. */
  readonly onReconnect?: (info: ReconnectInfo) => void;
}

const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_FORBIDDEN = 4403;
/** graphql-ws close codes for a request no retry can mend (bad request, unsupported subprotocol, duplicate subscriber). */
const CLOSE_FINAL = new Set([4400, 4406, 4409]);
/** A 4401 sooner than this after connecting is a refused token, not an expired one: back off instead of looping. */
const SHORTEST_SESSION_MS = 1_000;
const EVENT_TYPES = new Set<string>(['alert.created', 'alert.updated', 'alert.closed']);

/**
 * The member's alert events over graphql-ws, kept open across token expiry
 * and network failures: when the server closes the connection (4401 at the
 * token's `exp`, a restart, a dropped network) it reconnects with a fresh
 * token from the client's cache and `after` the last event it delivered, so
 * the server replays what happened meanwhile. No event is delivered twice.
 * Iterate it with `for await`; leaving the loop or `close()` ends it.
 */
export class AlertEventStream implements AsyncIterable<AlertEvent> {
  private last: string | undefined;
  private started = false;
  private readonly client: Client;
  private readonly closing = new AbortController();
  private token: string | undefined;
  private connectedAt = 0;
  /** Why the last connection could not get a token, if it could not. */
  private tokenError: unknown;

  constructor(
    url: string,
    private readonly tokens: StreamTokenSource,
    private readonly options: AlertEventsOptions = {},
  ) {
    if (options.after !== undefined && !/^[1-9][0-9]{0,18}$/.test(options.after)) {
      throw new RangeError('after must be the id of an alert event (a positive decimal number)');
    }
    this.last = options.after;
    this.client = createClient({
      url,
      webSocketImpl: options.webSocketImpl ?? defaultWebSocket(),
      lazy: true,
      // Reconnecting is this class's part: graphql-ws would resend the first `after`, and treats 4401 as final.
      retryAttempts: 0,
      connectionParams: async () => {
        this.tokenError = undefined;
        try {
          this.token = await this.tokens.get();
        } catch (error) {
          this.tokenError = error;
          throw error;
        }
        return { authorization: `Bearer ${this.token}` };
      },
      on: { connected: () => (this.connectedAt = Date.now()) },
    });
    if (options.signal?.aborted) void this.close();
    else options.signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** The id of the last event delivered: where a later stream resumes (`after`). */
  get lastEventId(): string | undefined {
    return this.last;
  }

  /** Ends the stream; a pending `next()` of the loop ends with it. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.client.dispose();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<AlertEvent, void, undefined> {
    if (this.started) throw new Error('an AlertEventStream is iterated once; open another to resume (after: lastEventId)');
    this.started = true;
    let failures = 0;
    try {
      while (!this.closing.signal.aborted) {
        let info: { closeCode?: number; reason: string; failed: boolean };
        try {
          for await (const result of this.client.iterate({ query: ALERT_EVENTS, variables: { after: this.last ?? null } })) {
            const event = this.eventOf(result);
            if (event === undefined) continue;
            failures = 0;
            this.last = event.id;
            yield event;
          }
          info = { reason: 'the server ended the subscription', failed: false };
        } catch (error) {
          if (this.closing.signal.aborted) return;
          info = this.verdict(error);
        }
        if (this.closing.signal.aborted) return;
        const delayMs = info.failed ? this.backoff(failures++) : 0;
        this.options.onReconnect?.({ closeCode: info.closeCode, reason: info.reason, after: this.last, delayMs });
        if (delayMs > 0) await sleep(delayMs, undefined, { signal: this.closing.signal }).catch(() => undefined);
      }
    } finally {
      await this.client.dispose();
    }
  }

  /** The event in a result, skipping anything already delivered; GraphQL errors throw. */
  private eventOf(result: FormattedExecutionResult<Record<string, unknown>, unknown>): AlertEvent | undefined {
    if (result.errors?.length) throw new ResultErrors(result.errors as GraphQLErrorItem[]);
    const event = (result.data as { alertEvents?: unknown } | null | undefined)?.alertEvents;
    if (!isAlertEvent(event)) return undefined;
    // The server sends each event once; a resumed stream must never go back either.
    if (this.last !== undefined && BigInt(event.id) <= BigInt(this.last)) return undefined;
    return event;
  }

  /** Whether and how to go on after `error`; throws when going on cannot help. */
  private verdict(error: unknown): { closeCode?: number; reason: string; failed: boolean } {
    // The token endpoint refused the client's credentials (a revoked key, a wrong client id): no retry mends that.
    if (this.tokenError !== undefined && !isTransient(this.tokenError)) throw this.tokenError;
    if (error instanceof ResultErrors) {
      const reason = error.errors[0]?.extensions?.reason;
      const code = error.errors[0]?.extensions?.code;
      if (reason === 'RESUME_POINT_EXPIRED') throw new SigfedStreamError(error.message, 'RESUME_POINT_EXPIRED', undefined, error.errors);
      if (code === 'UNAUTHENTICATED') {
        this.dropToken();
        return { reason: error.message, failed: true };
      }
      if (code === 'RATE_LIMITED' || code === 'INTERNAL_SERVER_ERROR') return { reason: error.message, failed: true };
      throw new SigfedStreamError(error.message, 'REFUSED', undefined, error.errors);
    }
    const close = closeOf(error);
    if (close === undefined) return { reason: error instanceof Error ? error.message : 'connection failed', failed: true };
    if (close.code === CLOSE_UNAUTHORIZED) {
      // The token expired: a fresh one, at once (backing off when fresh ones are refused too).
      this.dropToken();
      return {
        closeCode: close.code,
        reason: close.reason || 'access token expired',
        failed: Date.now() - this.connectedAt < SHORTEST_SESSION_MS,
      };
    }
    if (close.code === CLOSE_FORBIDDEN) throw new SigfedStreamError(close.reason || 'forbidden', 'FORBIDDEN', close.code);
    if (CLOSE_FINAL.has(close.code)) throw new SigfedStreamError(close.reason || `closed with ${close.code}`, 'REFUSED', close.code);
    return { closeCode: close.code, reason: close.reason || `closed with ${close.code}`, failed: true };
  }

  private dropToken(): void {
    if (this.token !== undefined) this.tokens.invalidate(this.token);
    this.token = undefined;
  }

  private backoff(failures: number): number {
    const base = this.options.backoff?.baseDelayMs ?? 500;
    const max = this.options.backoff?.maxDelayMs ?? 30_000;
    const delay = Math.min(max, base * 2 ** failures);
    return delay / 2 + (delay / 2) * Math.random();
  }
}

/** GraphQL errors of a subscription result. */
class ResultErrors extends Error {
  constructor(readonly errors: readonly GraphQLErrorItem[]) {
    const [first] = errors;
    const reason = first?.extensions?.reason ?? first?.extensions?.code;
    super(`${first?.message ?? 'subscription failed'}${reason ? ` (${String(reason)})` : ''}`);
  }
}

function closeOf(error: unknown): { code: number; reason: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, reason } = error as { code?: unknown; reason?: unknown };
  return typeof code === 'number' ? { code, reason: typeof reason === 'string' ? reason : '' } : undefined;
}

function isAlertEvent(value: unknown): value is AlertEvent {
  if (typeof value !== 'object' || value === null) return false;
  const { id, type, alert } = value as Record<string, unknown>;
  return (
    typeof id === 'string' &&
    /^[1-9][0-9]{0,18}$/.test(id) &&
    typeof type === 'string' &&
    EVENT_TYPES.has(type) &&
    typeof alert === 'object' &&
    alert !== null &&
    typeof (alert as { id?: unknown }).id === 'string'
  );
}

function defaultWebSocket(): unknown {
  const global = (globalThis as { WebSocket?: unknown }).WebSocket;
  // `ws` has no types of its own here; graphql-ws only needs a WebSocket constructor.
  return global ?? (createRequire(import.meta.url)('ws') as unknown);
}
