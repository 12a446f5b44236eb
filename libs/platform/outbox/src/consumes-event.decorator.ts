import type { EventPayloads, EventTopic } from './events.js';

/** Reflect-metadata key under which a consumer method records its topic. */
export const CONSUMES_EVENT = 'sigfed:consumes-event';

/**
 * Declares the method a consumer of `topic`: the worker runs it once per
 * outbox event of that topic as its own BullMQ job (own job id, retries and
 * failure), with the event's payload. Consumers are at-least-once, so they
 * must be idempotent. The method's parameter is checked against the event map.
 */
export function ConsumesEvent<T extends EventTopic>(topic: T) {
  return <M extends (payload: EventPayloads[T]) => Promise<unknown>>(
    _target: object,
    _key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    Reflect.defineMetadata(CONSUMES_EVENT, topic, descriptor.value as object);
  };
}
