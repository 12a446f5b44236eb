import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { AlertsService, toHour } from '@app/alerts';
import { AccessTokenService, AuthError, type AuthenticatedMember } from '@app/auth';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService } from '@app/database';
import { createRedisClient, type RedisClient } from '@app/redis';
import { alertEventLog, EVENT_PAGE } from './alert-event-log.js';
import { AlertStreamError, AlertStreamErrorCode } from './alert-stream.error.js';
import { alertEventsChannel, type AlertStreamMessage } from './alert-stream.channel.js';
import type { StreamContext, StreamSocket } from './graphql-ws.options.js';
import { refusalOf } from './socket-close.js';
import type { AlertEventView } from './models/alert-event.model.js';

/** Re-verify the token before pushing at most this often per connection. */
const CHECK_ON_EVENT_MS = 1_000;
/** A read that failed (the database briefly away) is tried again after this, even if no new event wakes the listener. */
const READ_RETRY_MS = 1_000;
/**
 * After the subscriber connection came back or moved to another cluster node,
 * every listener reads at once and again after this: messages published
 * while it was away are lost (pub/sub keeps nothing), the events are not.
 */
const RESYNC_AGAIN_MS = 2_000;
/** An alert event id: alert_events.seq, a positive bigint. */
const EVENT_ID = /^[1-9][0-9]{0,18}$/;
const MAX_SEQ = 2n ** 63n - 1n;

/** What a subscription reads from the database: the member's stored events after a number, with their alerts. */
type ReadAfter = (memberId: string, seq: bigint) => Promise<EventPage>;

/** A page of a member's stored events: those to send, the last number read (undefined: none), whether more may follow. */
interface EventPage {
  events: AlertEventView[];
  last: bigint | undefined;
  full: boolean;
}

/**
 * One open `alertEvents` subscription: a queue the GraphQL layer iterates.
 * It sends the member's stored events in order, from its cursor on: a live
 * message only wakes it to read what came after the last event it queued.
 * So live and replayed events cannot overlap or leave a gap, whatever order
 * the messages arrive in, and a duplicated message changes nothing.
 */
class Listener implements AsyncIterableIterator<AlertEventView> {
  private readonly backlog: AlertEventView[] = [];
  private waiting: ((result: IteratorResult<AlertEventView>) => void) | undefined;
  private ended = false;
  private lastCheck = Date.now();
  private reading: Promise<void> | undefined;
  private again = false;
  /** The reader stopped at a page of unsent events; the consumer taking them lets it go on. */
  private paused = false;

  constructor(
    readonly memberId: string,
    /** The id of the last event queued: the next read starts after it. */
    private cursor: bigint,
    private readonly token: string,
    private readonly socket: StreamSocket,
    private readonly verify: (token: string) => Promise<unknown>,
    private readonly read: ReadAfter,
    private readonly onEnd: (listener: Listener) => void,
    private readonly logger: Logger,
  ) {}

  /** A live message named event `seq` of this member (undefined: an older worker's message, without numbers). */
  wake(seq: bigint | undefined): void {
    if (this.ended || (seq !== undefined && seq <= this.cursor)) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.catchUp()
      .catch((error: Error) => {
        this.logger.warn(`alert stream read for ${this.memberId} will retry: ${error.message}`);
        setTimeout(() => this.wake(undefined), READ_RETRY_MS).unref();
      })
      .finally(() => {
        this.reading = undefined;
        if (this.again) {
          this.again = false;
          this.wake(undefined);
        }
      });
  }

  next(): Promise<IteratorResult<AlertEventView>> {
    const value = this.backlog.shift();
    if (value) {
      if (this.paused && this.backlog.length === 0) {
        this.paused = false;
        this.wake(undefined);
      }
      return Promise.resolve({ value, done: false });
    }
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

  /** Queues every stored event after the cursor, a page at a time, pausing while a page is still unsent. */
  private async catchUp(): Promise<void> {
    for (;;) {
      if (this.backlog.length >= EVENT_PAGE) {
        this.paused = true;
        return;
      }
      if (!(await this.stillAllowed(CHECK_ON_EVENT_MS))) return;
      const { events, last, full } = await this.read(this.memberId, this.cursor);
      if (this.ended || last === undefined) return;
      this.cursor = last;
      for (const event of events) this.push(event);
      if (!full) return;
    }
  }

  private push(event: AlertEventView): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
    } else {
      this.backlog.push(event);
    }
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
 * Alert events for the API role, live and resumed. Every API process
 * subscribes once to the Redis channel the worker publishes on; a message
 * wakes the subscriptions of the members it names, and each reads the
 * member's events it has not sent yet from alert_events (as the member, so
 * row-level security applies), with each alert as that member sees it. A
 * subscription opened with `after` starts from that event, so a client that
 * reconnects (its token expired, say) misses nothing within
 * ALERT_EVENT_RETENTION_HOURS. The token and member are re-verified before
 * reading (at most every CHECK_ON_EVENT_MS); closing connections at token
 * expiry, suspension and key revocation is SocketWatchService's part.
 */
@Injectable()
export class AlertStreamService implements OnModuleDestroy {
  private readonly logger = new Logger(AlertStreamService.name);
  private readonly byMember = new Map<string, Set<Listener>>();
  private subscriber: RedisClient | undefined;
  private subscribed: Promise<unknown> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly alerts: AlertsService,
    private readonly tokens: AccessTokenService,
    private readonly prisma: PrismaService,
  ) {}

  /**
   * Opens `member`'s stream on the connection in `context`: the events after
   * `after` (an event id it received), then live ones; without `after`, live
   * ones only.
   */
  async open(member: AuthenticatedMember, context: StreamContext, after?: string | null): Promise<AsyncIterableIterator<AlertEventView>> {
    const header = context.req?.headers.authorization;
    if (!context.socket || !header) {
      throw new AlertStreamError(AlertStreamErrorCode.WebSocketRequired, 'alertEvents runs over a graphql-ws WebSocket connection');
    }
    const resumeFrom = after === undefined || after === null ? undefined : this.resumePoint(after);
    // Listening first: an event committed from here on wakes the listener, whatever the cursor read below finds.
    await this.listen();
    const cursor = await this.prisma.sqlAsMember(
      member.id,
      async (db) => {
        if (resumeFrom === undefined) return alertEventLog.last(db, member.id);
        if (await alertEventLog.has(db, member.id, resumeFrom)) return resumeFrom;
        throw new AlertStreamError(
          AlertStreamErrorCode.ResumePointExpired,
          `after: event ${after} is not kept any more (events are kept ${this.config.subscriptions.eventRetentionHours} h) or is not one of yours; ` +
            're-sync with the alerts query, then subscribe without after',
          { field: 'after', retentionHours: this.config.subscriptions.eventRetentionHours },
        );
      },
      { readOnly: true },
    );
    const token = header.replace(/^Bearer /i, '');
    const listener = new Listener(
      member.id,
      cursor,
      token,
      context.socket,
      (t) => this.tokens.verify(t),
      (memberId, seq) => this.readAfter(memberId, seq),
      (l) => this.forget(l),
      this.logger,
    );
    let set = this.byMember.get(member.id);
    if (!set) this.byMember.set(member.id, (set = new Set()));
    set.add(listener);
    // Events committed between the cursor read and the listener's registration were announced to no one yet.
    listener.wake(undefined);
    return listener;
  }

  async onModuleDestroy(): Promise<void> {
    for (const set of this.byMember.values()) for (const listener of set) listener.end();
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  private resumePoint(after: string): bigint {
    const seq = EVENT_ID.test(after) ? BigInt(after) : undefined;
    if (seq === undefined || seq > MAX_SEQ) {
      throw new AlertStreamError(
        AlertStreamErrorCode.InvalidResumePoint,
        'after must be the id of an alert event you received (a positive decimal number)',
        {
          field: 'after',
        },
      );
    }
    return seq;
  }

  /** A page of the member's events after `seq`, with their alerts; `last` is the last event read (undefined: none). */
  private async readAfter(memberId: string, seq: bigint): Promise<EventPage> {
    const rows = await this.prisma.sqlAsMember(memberId, (db) => alertEventLog.after(db, memberId, seq), { readOnly: true });
    if (rows.length === 0) return { events: [], last: undefined, full: false };
    const alerts = new Map((await this.alerts.getMany(memberId, [...new Set(rows.map((r) => r.alertId))])).map((a) => [a.id, a]));
    const events: AlertEventView[] = [];
    for (const row of rows) {
      const alert = alerts.get(row.alertId);
      if (!alert) continue; // gone with its member
      events.push({ id: row.seq, type: row.type, version: row.version, alert, occurredAt: toHour(row.occurredAt) });
    }
    return { events, last: BigInt(rows[rows.length - 1].seq), full: rows.length === EVENT_PAGE };
  }

  private listen(): Promise<unknown> {
    if (this.subscribed) return this.subscribed;
    const channel = alertEventsChannel(this.config.redis.prefix);
    const subscriber = createRedisClient(this.config.redis, { maxRetriesPerRequest: null });
    subscriber.on('error', (error: Error) => this.logger.warn(`alert stream Redis connection: ${error.message}`));
    subscriber.on('message', (_channel: string, text: string) => this.dispatch(text));
    // 'ready' again: a reconnect (ioredis subscribes again first); '-node'/'+node': the cluster's subscriber node may have changed.
    let connected = false;
    subscriber.on('ready', () => {
      if (connected) this.resync();
      connected = true;
    });
    subscriber.on('-node', () => this.resync());
    subscriber.on('+node', () => this.resync());
    this.subscriber = subscriber;
    this.subscribed = subscriber.subscribe(channel).catch((error: unknown) => {
      this.subscribed = undefined;
      throw error;
    });
    return this.subscribed;
  }

  /** Wakes every listener now and once more shortly, to read what lost messages would have announced. */
  private resync(): void {
    const wakeAll = () => {
      for (const set of this.byMember.values()) for (const listener of set) listener.wake(undefined);
    };
    wakeAll();
    setTimeout(wakeAll, RESYNC_AGAIN_MS).unref();
  }

  /** Wakes the listeners of the members a message names, with the highest event number it has for each. */
  private dispatch(text: string): void {
    let message: AlertStreamMessage;
    try {
      message = JSON.parse(text) as AlertStreamMessage;
    } catch {
      this.logger.error('alert stream: a message that is not JSON');
      return;
    }
    // A member's highest number in the message; undefined once one of its events has none (every listener then reads).
    const highest = new Map<string, bigint | undefined>();
    for (const event of message.events) {
      if (!this.byMember.has(event.memberId)) continue;
      const seq = event.seq !== undefined && EVENT_ID.test(event.seq) ? BigInt(event.seq) : undefined;
      const seen = highest.has(event.memberId) ? highest.get(event.memberId) : 0n;
      highest.set(event.memberId, seq === undefined || seen === undefined ? undefined : seq > seen ? seq : seen);
    }
    for (const [memberId, seq] of highest) for (const listener of [...(this.byMember.get(memberId) ?? [])]) listener.wake(seq);
  }

  private forget(listener: Listener): void {
    const set = this.byMember.get(listener.memberId);
    set?.delete(listener);
    if (set?.size === 0) this.byMember.delete(listener.memberId);
  }
}
