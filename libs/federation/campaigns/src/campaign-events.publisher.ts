import { Inject, Injectable } from '@nestjs/common';
import { publishMemberEvents } from '@app/alert-stream';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ConsumesEvent, type EventPayloads } from '@app/outbox';
import { RedisService } from '@app/redis';
import type { CampaignEvent } from './campaign-events.js';
import { campaignEventsChannel } from './campaign-stream.js';

/** Fans campaign changes out to every API process (worker role); subscribers read each campaign as their member sees it. */
@Injectable()
export class CampaignEventsPublisher {
  private readonly channel: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.channel = campaignEventsChannel(config.redis.prefix);
  }

  /** `campaigns.changed` (a consumer beside the webhooks'): the live stream. */
  @ConsumesEvent('campaigns.changed')
  async onCampaignsChanged(payload: EventPayloads['campaigns.changed']): Promise<void> {
    await this.publish(payload.events, new Date(payload.occurredAt));
  }

  /** Publishes the changes, ids only. */
  async publish(events: readonly CampaignEvent[], occurredAt: Date): Promise<void> {
    await publishMemberEvents(this.redis, this.channel, events, occurredAt);
  }
}
