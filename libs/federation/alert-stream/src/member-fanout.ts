import type { Logger } from '@nestjs/common';
import { createRedisClient, type RedisClient, type RedisService, type RedisSettings } from '@app/redis';

/** Events per pub/sub message, so one huge worker pass does not make one huge message. */
const EVENTS_PER_MESSAGE = 1_000;

/** A pub/sub message of either stream: the changes one worker pass made, ids only. */
export interface MemberStreamMessage<E extends { memberId: string }> {
  occurredAt: string;
  events: E[];
}

/** Publishes a pass's events on `channel` (worker role), in messages of at most EVENTS_PER_MESSAGE; ids only. */
export async function publishMemberEvents<E extends { memberId: string }>(
  redis: RedisService,
  channel: string,
  events: readonly E[],
  occurredAt: Date,
): Promise<void> {
  for (let i = 0; i < events.length; i += EVENTS_PER_MESSAGE) {
    const message: MemberStreamMessage<E> = { occurredAt: occurredAt.toISOString(), events: events.slice(i, i + EVENTS_PER_MESSAGE) };
    await redis.publish(channel, JSON.stringify(message));
  }
}

/** How a fan-out hands a message on, and what it does when its connection may have missed some. */
export interface MemberFanoutOptions<E extends { memberId: string }, L> {
  /** Names the stream in log lines. */
  name: string;
  redis: RedisSettings;
  channel: string;
  logger: Logger;
  /** A message's events of one member that has listeners, in order, to each of its listeners. */
  deliver: (listeners: readonly L[], events: E[], occurredAt: Date) => void;
  /** The subscriber connection came back or moved to another cluster node: messages in between are lost. */
  onResync?: () => void;
}

/**
 * One Redis subscription per API process for a stream, and its open
 * listeners by member: a message reaches only the listeners of the members
 * it names. Pub/sub keeps nothing, so a stream that must not miss events
 * reads them from the database (alertEvents) and uses onResync.
 */
export class MemberFanout<E extends { memberId: string }, L extends { memberId: string; end(): void }> {
  private readonly byMember = new Map<string, Set<L>>();
  private subscriber: RedisClient | undefined;
  private subscribed: Promise<unknown> | undefined;

  constructor(private readonly options: MemberFanoutOptions<E, L>) {}

  /** Subscribes once (again after a failed attempt); resolves when the subscription holds. */
  listen(): Promise<unknown> {
    if (this.subscribed) return this.subscribed;
    const { redis, channel, logger, name, onResync } = this.options;
    const subscriber = createRedisClient(redis, { maxRetriesPerRequest: null });
    subscriber.on('error', (error: Error) => logger.warn(`${name} Redis connection: ${error.message}`));
    subscriber.on('message', (_channel: string, text: string) => this.dispatch(text));
    if (onResync) {
      // 'ready' again: a reconnect (ioredis subscribes again first); '-node'/'+node': the cluster's subscriber node may have changed.
      let connected = false;
      subscriber.on('ready', () => {
        if (connected) onResync();
        connected = true;
      });
      subscriber.on('-node', onResync);
      subscriber.on('+node', onResync);
    }
    this.subscriber = subscriber;
    this.subscribed = subscriber.subscribe(channel).catch((error: unknown) => {
      this.subscribed = undefined;
      throw error;
    });
    return this.subscribed;
  }

  add(listener: L): void {
    let set = this.byMember.get(listener.memberId);
    if (!set) this.byMember.set(listener.memberId, (set = new Set()));
    set.add(listener);
  }

  forget(listener: L): void {
    const set = this.byMember.get(listener.memberId);
    set?.delete(listener);
    if (set?.size === 0) this.byMember.delete(listener.memberId);
  }

  /** Every open listener. */
  *all(): IterableIterator<L> {
    for (const set of this.byMember.values()) yield* set;
  }

  /** Ends every listener and drops the subscription. */
  async close(): Promise<void> {
    for (const listener of [...this.all()]) listener.end();
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  private dispatch(text: string): void {
    let message: MemberStreamMessage<E>;
    try {
      message = JSON.parse(text) as MemberStreamMessage<E>;
    } catch {
      this.options.logger.error(`${this.options.name}: a message that is not JSON`);
      return;
    }
    const byMember = new Map<string, E[]>();
    for (const event of message.events) {
      if (!this.byMember.has(event.memberId)) continue;
      const list = byMember.get(event.memberId);
      if (list) list.push(event);
      else byMember.set(event.memberId, [event]);
    }
    const occurredAt = new Date(message.occurredAt);
    for (const [memberId, events] of byMember) this.options.deliver([...(this.byMember.get(memberId) ?? [])], events, occurredAt);
  }
}
