import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AlertError, AlertsService, type Alert } from '@app/alerts';
import { AccessTokenService, AuthError, type AuthenticatedMember } from '@app/auth';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { AlertStreamError, AlertStreamErrorCode } from './alert-stream.error.js';
import { alertEventsChannel, type AlertStreamMessage } from './alert-stream.channel.js';
import type { StreamContext, StreamSocket } from './graphql-ws.options.js';
import { refusalOf } from './socket-close.js';
import type { AlertEventView } from './models/alert-event.model.js';

/** Events a slow client may have waiting before its connection is closed (it can catch up with `alerts(filter: {since})`). */
const BACKLOG_LIMIT = 1_000;
const CLOSE_BACKLOG = 4429;
/** Re-verify the token before pushing at most this often per connection. */
const CHECK_ON_EVENT_MS = 1_000;

/** One open `alertEvents` subscription: a queue the GraphQL layer iterates. */
class Listener implements AsyncIterableIterator<AlertEventView> {
  private readonly backlog: AlertEventView[] = [];
  private waiting: ((result: IteratorResult<AlertEventView>) => void) | undefined;
  private ended = false;
  private lastCheck = Date.now();

  constructor(
    readonly memberId: string,
    private readonly token: string,
    private readonly socket: StreamSocket,
    private readonly verify: (token: string) => Promise<unknown>,
    private readonly onEnd: (listener: Listener) => void,
  ) {}

  /** Pushes an event, once the token and member have been re-verified recently enough. */
  async deliver(event: AlertEventView): Promise<void> {
    if (this.ended || !(await this.stillAllowed(CHECK_ON_EVENT_MS))) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
    } else if (this.backlog.push(event) > BACKLOG_LIMIT) {
      this.close(CLOSE_BACKLOG, 'too many undelivered events; reconnect and catch up with alerts(filter: { since })');
    }
  }

  next(): Promise<IteratorResult<AlertEventView>> {
    const value = this.backlog.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<AlertEventView>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<AlertEventView> {
    return this;
  }

  /** Ends the subscription and closes its connection with `code`. */
  close(code: number, reason: string): void {
    if (this.ended) return;
    this.end();
    this.socket.close(code, reason);
  }

  /** Ends the subscription, leaving the connection open (the client unsubscribed, or the server stops). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.backlog.length = 0;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
    this.onEnd(this);
  }

  private async stillAllowed(maxAgeMs: number): Promise<boolean> {
    if (this.ended) return false;
    if (Date.now() - this.lastCheck < maxAgeMs) return true;
    this.lastCheck = Date.now();
    try {
      await this.verify(this.token);
      return true;
    } catch (error) {
      if (!(error instanceof AuthError)) return true; // a database hiccup is not a reason to drop the client
      const { code, reason } = refusalOf(error);
      this.close(code, reason);
      return false;
    }
  }
}

/**
 * Live alert events for the API role. Every API process subscribes once to
 * the Redis channel the worker publishes on, and routes each change only to
 * the connections of the member it belongs to, reading the alert as that
 * member sees it. The token and member are re-verified before pushing (at
 * most every CHECK_ON_EVENT_MS); closing connections at token expiry,
 * suspension and key revocation is SocketWatchService's part.
 */
@Injectable()
export class AlertStreamService implements OnModuleDestroy {
  private readonly logger = new Logger(AlertStreamService.name);
  private readonly byMember = new Map<string, Set<Listener>>();
  private subscriber: Redis | undefined;
  private subscribed: Promise<unknown> | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly alerts: AlertsService,
    private readonly tokens: AccessTokenService,
  ) {}

  /** Opens `member`'s stream on the connection in `context`. */
  async open(member: AuthenticatedMember, context: StreamContext): Promise<AsyncIterableIterator<AlertEventView>> {
    const header = context.req?.headers.authorization;
    if (!context.socket || !header) {
      throw new AlertStreamError(AlertStreamErrorCode.WebSocketRequired, 'alertEvents runs over a graphql-ws WebSocket connection');
    }
    await this.listen();
    const token = header.replace(/^Bearer /i, '');
    const listener = new Listener(member.id, token, context.socket, (t) => this.tokens.verify(t), (l) => this.forget(l));
    let set = this.byMember.get(member.id);
    if (!set) this.byMember.set(member.id, (set = new Set()));
    set.add(listener);
    return listener;
  }

  async onModuleDestroy(): Promise<void> {
    for (const set of this.byMember.values()) for (const listener of set) listener.end();
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  private listen(): Promise<unknown> {
    if (this.subscribed) return this.subscribed;
    const channel = alertEventsChannel(this.config.redis.prefix);
    const subscriber = new Redis(this.config.redis.url, { maxRetriesPerRequest: null });
    subscriber.on('error', (error) => this.logger.warn(`alert stream Redis connection: ${error.message}`));
    subscriber.on('message', (_channel: string, text: string) => {
      // One message at a time, so a member's events reach it in the order they were published.
      this.queue = this.queue.then(() => this.dispatch(text)).catch((error: Error) => this.logger.error(`alert stream: ${error.message}`));
    });
    this.subscriber = subscriber;
    this.subscribed = subscriber.subscribe(channel).catch((error: unknown) => {
      this.subscribed = undefined;
      throw error;
    });
    return this.subscribed;
  }

  private async dispatch(text: string): Promise<void> {
    const message = JSON.parse(text) as AlertStreamMessage;
    const occurredAt = new Date(message.occurredAt);
    for (const event of message.events) {
      const listeners = this.byMember.get(event.memberId);
      if (!listeners?.size) continue;
      let alert: Alert;
      try {
        alert = await this.alerts.get(event.memberId, event.alertId);
      } catch (error) {
        if (error instanceof AlertError) continue;
        throw error;
      }
      for (const listener of [...listeners]) await listener.deliver({ type: event.type, alert, occurredAt });
    }
  }

  private forget(listener: Listener): void {
    const set = this.byMember.get(listener.memberId);
    set?.delete(listener);
    if (set?.size === 0) this.byMember.delete(listener.memberId);
  }
}
