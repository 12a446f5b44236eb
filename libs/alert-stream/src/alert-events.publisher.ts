import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { RedisService } from '@app/queue';
import { alertEventsChannel, type StreamedAlertEvent } from './alert-stream.channel.js';

/** Events per pub/sub message, so one huge correlation pass does not make one huge message. */
const PER_MESSAGE = 1_000;

/**
 * Fans alert changes out to every API process (worker role). Pub/sub keeps
 * nothing: a process that is not listening misses the message, which is why
 * live subscriptions are a convenience beside webhooks, not a replacement.
 */
@Injectable()
export class AlertEventsPublisher {
  private readonly channel: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.channel = alertEventsChannel(config.redis.prefix);
  }

  /** Publishes the changes (ids only); subscribers read each alert as its member sees it. */
  async publish(events: readonly StreamedAlertEvent[], occurredAt: Date): Promise<void> {
    for (let i = 0; i < events.length; i += PER_MESSAGE) {
      const slice = events.slice(i, i + PER_MESSAGE).map(({ memberId, alertId, type, version }) => ({ memberId, alertId, type, version }));
      await this.redis.publish(this.channel, JSON.stringify({ occurredAt: occurredAt.toISOString(), events: slice }));
    }
  }
}
