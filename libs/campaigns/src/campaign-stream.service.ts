import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { AlertStreamError, AlertStreamErrorCode, refusalOf, type StreamContext, type StreamSocket } from '@app/alert-stream';
import { toHour } from '@app/alerts';
import { AccessTokenService, AuthError, type AuthenticatedMember } from '@app/auth';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { createRedisClient, type RedisClient } from '@app/redis';
import { CampaignsService } from './campaigns.service.js';
import { campaignEventsChannel, type CampaignStreamMessage } from './campaign-stream.js';
import type { CampaignEvent } from './campaign-events.js';
import type { CampaignEventView } from './models/campaign-event.model.js';

/** Re-verify the token before pushing at most this often per connection. */
const CHECK_ON_EVENT_MS = 1_000;

/** One open `campaignEvents` subscription: a queue the GraphQL layer iterates. */
class Listener implements AsyncIterableIterator<CampaignEventView> {
  private readonly backlog: CampaignEventView[] = [];
  private waiting: ((result: IteratorResult<CampaignEventView>) => void) | undefined;
  private ended = false;
  private lastCheck = Date.now();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly memberId: string,
    private readonly token: string,
    private readonly socket: StreamSocket,
    private readonly verify: (token: string) => Promise<unknown>,
    private readonly render: (memberId: string, events: CampaignEvent[], occurredAt: Date) => Promise<CampaignEventView[]>,
    private readonly onEnd: (listener: Listener) => void,
    private readonly logger: Logger,
  ) {}

  /** Renders the member's events of a message as it sees them, in order, after checking its token is still good. */
  offer(events: CampaignEvent[], occurredAt: Date): void {
    this.chain = this.chain
      .then(async () => {
        if (!(await this.stillAllowed())) return;
        for (const view of await this.render(this.memberId, events, occurredAt)) this.push(view);
      })
      .catch((error: Error) => this.logger.warn(`campaign stream read for ${this.memberId} failed: ${error.message}`));
  }

  next(): Promise<IteratorResult<CampaignEventView>> {
    const value = this.backlog.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<CampaignEventView>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<CampaignEventView> {
    return this;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.backlog.length = 0;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
    this.onEnd(this);
  }

  private push(event: CampaignEventView): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
    } else this.backlog.push(event);
  }

  private async stillAllowed(): Promise<boolean> {
    if (this.ended) return false;
    if (Date.now() - this.lastCheck < CHECK_ON_EVENT_MS) return true;
    this.lastCheck = Date.now();
    try {
      await this.verify(this.token);
      return true;
    } catch (error) {
      if (!(error instanceof AuthError)) return true;
      const { code, reason } = refusalOf(error);
      this.end();
      this.socket.close(code, reason);
      return false;
    }
  }
}

/**
 * Live campaign events for the API role. Every API process subscribes once
 * to the channel the worker publishes on; a message reaches the listeners of
 * the members it names, and each reads the campaigns as its member sees them
 * (CampaignsService, in the member's transaction). Live only: a client that
 * reconnects re-syncs with the `campaigns` query. The connection itself is
 * watched (token expiry, suspension, key revocation) by SocketWatchService,
 * as for alertEvents.
 */
@Injectable()
export class CampaignStreamService implements OnModuleDestroy {
  private readonly logger = new Logger(CampaignStreamService.name);
  private readonly byMember = new Map<string, Set<Listener>>();
  private subscriber: RedisClient | undefined;
  private subscribed: Promise<unknown> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly campaigns: CampaignsService,
    private readonly tokens: AccessTokenService,
  ) {}

  /** Opens `member`'s campaign stream on the graphql-ws connection in `context`. */
  async open(member: AuthenticatedMember, context: StreamContext): Promise<AsyncIterableIterator<CampaignEventView>> {
    const header = context.req?.headers.authorization;
    if (!context.socket || !header) {
      throw new AlertStreamError(AlertStreamErrorCode.WebSocketRequired, 'campaignEvents runs over a graphql-ws WebSocket connection');
    }
    await this.listen();
    const listener = new Listener(
      member.id,
      header.replace(/^Bearer /i, ''),
      context.socket,
      (t) => this.tokens.verify(t),
      (memberId, events, occurredAt) => this.render(memberId, events, occurredAt),
      (l) => this.forget(l),
      this.logger,
    );
    let set = this.byMember.get(member.id);
    if (!set) this.byMember.set(member.id, (set = new Set()));
    set.add(listener);
    return listener;
  }

  async onModuleDestroy(): Promise<void> {
    for (const set of this.byMember.values()) for (const listener of set) listener.end();
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  private async render(memberId: string, events: CampaignEvent[], occurredAt: Date): Promise<CampaignEventView[]> {
    const seen = new Map((await this.campaigns.getMany(memberId, [...new Set(events.map((e) => e.campaignId))])).map((c) => [c.id, c]));
    return events.map((e) => ({
      type: e.type,
      campaignId: e.campaignId,
      version: e.version,
      campaign: e.type === 'campaign.closed' && !seen.has(e.campaignId) ? null : (seen.get(e.campaignId) ?? null),
      occurredAt: toHour(occurredAt),
    }));
  }

  private listen(): Promise<unknown> {
    if (this.subscribed) return this.subscribed;
    const subscriber = createRedisClient(this.config.redis, { maxRetriesPerRequest: null });
    subscriber.on('error', (error: Error) => this.logger.warn(`campaign stream Redis connection: ${error.message}`));
    subscriber.on('message', (_channel: string, text: string) => this.dispatch(text));
    this.subscriber = subscriber;
    this.subscribed = subscriber.subscribe(campaignEventsChannel(this.config.redis.prefix)).catch((error: unknown) => {
      this.subscribed = undefined;
      throw error;
    });
    return this.subscribed;
  }

  private dispatch(text: string): void {
    let message: CampaignStreamMessage;
    try {
      message = JSON.parse(text) as CampaignStreamMessage;
    } catch {
      this.logger.error('campaign stream: a message that is not JSON');
      return;
    }
    const byMember = new Map<string, CampaignEvent[]>();
    for (const event of message.events) {
      if (!this.byMember.has(event.memberId)) continue;
      const list = byMember.get(event.memberId) ?? [];
      list.push(event);
      byMember.set(event.memberId, list);
    }
    const occurredAt = new Date(message.occurredAt);
    for (const [memberId, events] of byMember) for (const listener of this.byMember.get(memberId) ?? []) listener.offer(events, occurredAt);
  }

  private forget(listener: Listener): void {
    const set = this.byMember.get(listener.memberId);
    set?.delete(listener);
    if (set?.size === 0) this.byMember.delete(listener.memberId);
  }
}
