import { Inject, Injectable } from '@nestjs/common';
import { toHour } from '@app/alerts';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ConsumesEvent, type EventPayloads } from '@app/outbox';
import { RedisService } from '@app/redis';
import { alertEventsChannel, type StreamedAlertEvent } from './alert-stream.channel.js';
import { publishMemberEvents } from './member-fanout.js';

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
    const ids = events.map(({ memberId, alertId, type, version, seq }) => ({ memberId, alertId, type, version, seq }));
    await publishMemberEvents(this.redis, this.channel, ids, occurredAt);
  }
}
