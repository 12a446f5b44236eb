import { Inject, Injectable } from '@nestjs/common';
import { toHour } from '@app/alerts';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ConsumesEvent, type EventPayloads } from '@app/outbox';
import { RedisService } from '@app/redis';
import { alertEventsChannel, type StreamedAlertEvent } from './alert-stream.channel.js';

/** Events per pub/sub message, so one huge correlation pass does not make one huge message. */
const PER_MESSAGE = 1_000;

/**
 * Fans alert changes out to every API process (worker role). Pub/sub keeps
 * nothing, and need not: a message only wakes the subscriptions of its
 * members, which read what they have not yet sent from alert_events.
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

  /**
   * `alerts.changed`: wakes the subscriptions of the changed alerts' members.
   * Another member's submission or retraction made the change, so its time is told to the hour only.
   */
  @ConsumesEvent('alerts.changed')
  async onAlertsChanged(payload: EventPayloads['alerts.changed']): Promise<void> {
    await this.publish(payload.events, toHour(payload.occurredAt ? new Date(payload.occurredAt) : new Date()));
  }

  /** Publishes the changes (ids only); subscribers read each alert as its member sees it. */
  async publish(events: readonly StreamedAlertEvent[], occurredAt: Date): Promise<void> {
    for (let i = 0; i < events.length; i += PER_MESSAGE) {
      const slice = events
        .slice(i, i + PER_MESSAGE)
        .map(({ memberId, alertId, type, version, seq }) => ({ memberId, alertId, type, version, seq }));
      await this.redis.publish(this.channel, JSON.stringify({ occurredAt: occurredAt.toISOString(), events: slice }));
    }
  }
}
