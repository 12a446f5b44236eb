import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { PrismaService, pgRows } from '@app/database';
import { QueueName } from '@app/queue';
import { EVENT_TOPICS } from './events.js';
import { CONSUMES_EVENT } from './consumes-event.decorator.js';
import type { OutboxJob } from './outbox-job.js';
import { outboxJobId } from './outbox-job.js';
import * as outboxSql from './outbox.sql.js';

/** One `@ConsumesEvent` method found at start-up. */
export interface EventConsumer {
  /** `<Class>.<method>`: part of its job ids, recorded on the outbox row when its job finished. */
  readonly id: string;
  readonly topic: string;
  readonly run: (payload: unknown) => Promise<unknown>;
}

/**
 * What is wrong with a set of consumers against the event map, one line per
 * problem: topics nobody consumes, consumers of topics the map does not have,
 * and two consumers under one id.
 */
export function consumerProblems(topics: readonly string[], consumers: readonly Pick<EventConsumer, 'id' | 'topic'>[]): string[] {
  const known = new Set(topics);
  const consumed = new Set(consumers.map((c) => c.topic));
  const problems: string[] = [];
  const orphans = topics.filter((t) => !consumed.has(t));
  if (orphans.length) problems.push(`events without a consumer: ${orphans.join(', ')}`);
  const unknown = consumers.filter((c) => !known.has(c.topic));
  if (unknown.length) problems.push(`consumers of events not in the event map: ${unknown.map((c) => `${c.id} (${c.topic})`).join(', ')}`);
  const ids = consumers.map((c) => c.id);
  const twice = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  if (twice.length) problems.push(`consumers declared twice: ${twice.join(', ')}`);
  return problems;
}

/**
 * Every `@ConsumesEvent` method of the process's providers, found with Nest's
 * discovery at module init (worker role). The relay asks it which jobs an
 * outbox row needs; the events processor asks it which method runs a job.
 */
@Injectable()
export class EventConsumers implements OnModuleInit {
  private readonly logger = new Logger(EventConsumers.name);
  private readonly found: EventConsumer[] = [];
  private readonly byId = new Map<string, EventConsumer>();
  private readonly byTopic = new Map<string, EventConsumer[]>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly prisma: PrismaService,
    @InjectQueue(QueueName.Events) private readonly events: Queue,
  ) {}

  /**
   * Runs every consumer of a just-committed event written with
   * `publishSql(..., { inline: true })`, without the relay and queue hops,
   * then records the ones that finished in one update. A consumer that
   * failed stays not done and gets its job queued at once, and so its
   * BullMQ retries alone; when the record itself fails, every consumer's job
   * is queued (a consumer may run twice, as after any crash). If even queueing
   * fails, or the worker dies first, the relay takes the row up after a
   * grace period (OutboxService.publishSql). Never throws: the caller's own
   * work is done.
   */
  async runNow(outboxId: bigint, topic: string, payload: unknown): Promise<void> {
    const id = String(outboxId);
    const consumers = this.of(topic);
    const outcomes = await Promise.allSettled(consumers.map(async (consumer) => consumer.run(payload)));
    const finished: EventConsumer[] = [];
    let retry: EventConsumer[] = [];
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.status === 'fulfilled') {
        finished.push(consumers[i]);
        continue;
      }
      retry.push(consumers[i]);
      const message = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
      this.logger.warn(`inline ${consumers[i].id} of outbox event ${id} failed (${message}); queued for retry`);
    }
    if (finished.length) {
      try {
        await this.record(id, topic, finished);
      } catch (error) {
        this.logger.warn(`cannot record the inline consumers of outbox event ${id} (${(error as Error).message}); queued for retry`);
        retry = [...consumers];
      }
    }
    await Promise.all(
      retry.map((consumer) => {
        const data: OutboxJob = { outboxId: id, consumer: consumer.id, payload };
        return this.events
          .add(topic, data, { jobId: outboxJobId(id, consumer.id) })
          .catch((e: Error) =>
            this.logger.warn(`cannot queue ${consumer.id} of outbox event ${id} (${e.message}); the relay will replay it`),
          );
      }),
    );
  }

  /**
   * Runs one consumer on one outbox event, then records it on the row (the
   * row is processed when every consumer of its topic has run). Throws when
   * the consumer does, so BullMQ retries that consumer alone.
   */
  async consume(outboxId: string, consumerId: string, payload: unknown): Promise<void> {
    const consumer = this.get(consumerId);
    await consumer.run(payload);
    await this.record(outboxId, consumer.topic, [consumer]);
  }

  private async record(outboxId: string, topic: string, finished: readonly EventConsumer[]): Promise<void> {
    await pgRows(this.prisma, outboxSql.consumed, [outboxId, finished.map((c) => c.id), this.of(topic).map((c) => c.id)]);
  }

  onModuleInit(): void {
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance) as object | null;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const topic = Reflect.getMetadata(CONSUMES_EVENT, fn) as string | undefined;
        if (topic === undefined) continue;
        this.add({
          id: `${instance.constructor.name}.${method}`,
          topic,
          run: (payload) => (fn as (p: unknown) => Promise<unknown>).call(instance, payload),
        });
      }
    }
  }

  private add(consumer: EventConsumer): void {
    this.found.push(consumer);
    if (this.byId.has(consumer.id)) return; // reported by assertComplete
    this.byId.set(consumer.id, consumer);
    const list = this.byTopic.get(consumer.topic);
    if (list) list.push(consumer);
    else this.byTopic.set(consumer.topic, [consumer]);
  }

  /** Every consumer found. */
  all(): EventConsumer[] {
    return [...this.byId.values()];
  }

  /** The consumers of `topic` (none for a topic not in the map). */
  of(topic: string): readonly EventConsumer[] {
    return this.byTopic.get(topic) ?? [];
  }

  /** The consumer with this id, or an error naming it (a job of a consumer this version no longer has). */
  get(id: string): EventConsumer {
    const consumer = this.byId.get(id);
    if (!consumer) throw new Error(`no event consumer "${id}"`);
    return consumer;
  }

  /** Throws at start-up, naming every problem, unless each topic has a consumer and each consumer's topic exists. */
  assertComplete(topics: readonly string[] = EVENT_TOPICS): void {
    const problems = consumerProblems(topics, this.found);
    if (problems.length) throw new Error(problems.join('; '));
  }
}
