import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { AlertsService, toHour } from '@app/alerts';
import { AccessTokenService, type AuthenticatedMember } from '@app/auth';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService } from '@app/database';
import { alertEventLog, EVENT_PAGE } from './alert-event-log.js';
import { AlertStreamError, AlertStreamErrorCode } from './alert-stream.error.js';
import { alertEventsChannel, type StreamedAlertEvent } from './alert-stream.channel.js';
import type { StreamContext, StreamSocket } from './graphql-ws.options.js';
import { MemberFanout } from './member-fanout.js';
import { MemberStreamListener } from './member-stream-listener.js';
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
class Listener extends MemberStreamListener<AlertEventView> {
  private reading: Promise<void> | undefined;
  private again = false;
  /** The reader stopped at a page of unsent events; the consumer taking them lets it go on. */
  private paused = false;

  constructor(
    memberId: string,
    /** The id of the last event queued: the next read starts after it. */
    private cursor: bigint,
    token: string,
    socket: StreamSocket,
    verify: (token: string) => Promise<unknown>,
    private readonly read: ReadAfter,
    onEnd: (listener: Listener) => void,
    private readonly logger: Logger,
  ) {
    super(memberId, token, socket, verify, (l) => onEnd(l as Listener));
  }

  /** A live message named event `seq` of this member (undefined: an older worker's message, without numbers). */
  wake(seq: bigint | undefined): void {
    if (this.isEnded || (seq !== undefined && seq <= this.cursor)) return;
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

  protected override taken(left: number): void {
    if (this.paused && left === 0) {
      this.paused = false;
      this.wake(undefined);
    }
  }

  /** Queues every stored event after the cursor, a page at a time, pausing while a page is still unsent. */
  private async catchUp(): Promise<void> {
    for (;;) {
      if (this.queued >= EVENT_PAGE) {
        this.paused = true;
        return;
      }
      if (!(await this.stillAllowed(CHECK_ON_EVENT_MS))) return;
      const { events, last, full } = await this.read(this.memberId, this.cursor);
      if (this.isEnded || last === undefined) return;
      this.cursor = last;
      for (const event of events) this.push(event);
      if (!full) return;
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
  private readonly fanout: MemberFanout<StreamedAlertEvent, Listener>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly alerts: AlertsService,
    private readonly tokens: AccessTokenService,
    private readonly prisma: PrismaService,
  ) {
    this.fanout = new MemberFanout({
      name: 'alert stream',
      redis: config.redis,
      channel: alertEventsChannel(config.redis.prefix),
      logger: this.logger,
      deliver: (listeners, events) => {
        const seq = highestSeq(events);
        for (const listener of listeners) listener.wake(seq);
      },
      onResync: () => this.resync(),
    });
  }

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
    await this.fanout.listen();
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
      (l) => this.fanout.forget(l),
      this.logger,
    );
    this.fanout.add(listener);
    // Events committed between the cursor read and the listener's registration were announced to no one yet.
    listener.wake(undefined);
    return listener;
  }

  async onModuleDestroy(): Promise<void> {
    await this.fanout.close();
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

  /** Wakes every listener now and once more shortly, to read what lost messages would have announced. */
  private resync(): void {
    const wakeAll = () => {
      for (const listener of this.fanout.all()) listener.wake(undefined);
    };
    wakeAll();
    setTimeout(wakeAll, RESYNC_AGAIN_MS).unref();
  }
}

/** The highest event number among a member's events; undefined once one has none (every listener then reads). */
function highestSeq(events: readonly StreamedAlertEvent[]): bigint | undefined {
  let highest = 0n;
  for (const event of events) {
    const seq = event.seq !== undefined && EVENT_ID.test(event.seq) ? BigInt(event.seq) : undefined;
    if (seq === undefined) return undefined;
    if (seq > highest) highest = seq;
  }
  return highest;
}
