import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  AlertStreamError,
  AlertStreamErrorCode,
  MemberFanout,
  MemberStreamListener,
  type StreamContext,
  type StreamSocket,
} from '@app/alert-stream';
import { toHour } from '@app/alerts';
import { AccessTokenService, type AuthenticatedMember } from '@app/auth';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { CampaignsService } from './campaigns.service.js';
import { campaignEventsChannel } from './campaign-stream.js';
import type { CampaignEvent } from './campaign-events.js';
import type { CampaignEventView } from './models/campaign-event.model.js';

/** Re-verify the token before pushing at most this often per connection. */
const CHECK_ON_EVENT_MS = 1_000;

/** One open `campaignEvents` subscription: a queue the GraphQL layer iterates. */
class Listener extends MemberStreamListener<CampaignEventView> {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    memberId: string,
    token: string,
    socket: StreamSocket,
    verify: (token: string) => Promise<unknown>,
    private readonly render: (memberId: string, events: CampaignEvent[], occurredAt: Date) => Promise<CampaignEventView[]>,
    onEnd: (listener: Listener) => void,
    private readonly logger: Logger,
  ) {
    super(memberId, token, socket, verify, (l) => onEnd(l as Listener));
  }

  /** Renders the member's events of a message as it sees them, in order, after checking its token is still good. */
  offer(events: CampaignEvent[], occurredAt: Date): void {
    this.chain = this.chain
      .then(async () => {
        if (!(await this.stillAllowed(CHECK_ON_EVENT_MS))) return;
        for (const view of await this.render(this.memberId, events, occurredAt)) this.push(view);
      })
      .catch((error: Error) => this.logger.warn(`campaign stream read for ${this.memberId} failed: ${error.message}`));
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
  private readonly fanout: MemberFanout<CampaignEvent, Listener>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly campaigns: CampaignsService,
    private readonly tokens: AccessTokenService,
  ) {
    this.fanout = new MemberFanout({
      name: 'campaign stream',
      redis: config.redis,
      channel: campaignEventsChannel(config.redis.prefix),
      logger: this.logger,
      deliver: (listeners, events, occurredAt) => {
        for (const listener of listeners) listener.offer(events, occurredAt);
      },
    });
  }

  /** Opens `member`'s campaign stream on the graphql-ws connection in `context`. */
  async open(member: AuthenticatedMember, context: StreamContext): Promise<AsyncIterableIterator<CampaignEventView>> {
    const header = context.req?.headers.authorization;
    if (!context.socket || !header) {
      throw new AlertStreamError(AlertStreamErrorCode.WebSocketRequired, 'campaignEvents runs over a graphql-ws WebSocket connection');
    }
    await this.fanout.listen();
    const listener = new Listener(
      member.id,
      header.replace(/^Bearer /i, ''),
      context.socket,
      (t) => this.tokens.verify(t),
      (memberId, events, occurredAt) => this.render(memberId, events, occurredAt),
      (l) => this.fanout.forget(l),
      this.logger,
    );
    this.fanout.add(listener);
    return listener;
  }

  async onModuleDestroy(): Promise<void> {
    await this.fanout.close();
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
}
