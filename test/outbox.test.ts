import { randomUUID } from 'node:crypto';
import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { PrismaService } from '@app/database';
import { ConsumesEvent, EventConsumers, outboxJobId, OutboxService, type EventPayloads } from '@app/outbox';
import { QueueName } from '@app/queue';
import { WorkerModule } from '../apps/worker/src/worker.module.js';
import { EventsProcessor } from '../apps/worker/src/processors/events.processor.js';
import { until } from './support/wait.js';

type Queued = EventPayloads['webhook_deliveries.queued'];
/** The marker of a test's event: a delivery id no delivery has, so the real consumer of the topic finds nothing to do. */
const marker = () => randomUUID();
const runs = (seen: Queued[], id: string) => seen.filter((p) => p.deliveryIds[0] === id).length;

/** A second consumer of a real topic, beside WebhookDispatchService.onDeliveriesQueued. */
@Injectable()
class PingConsumer {
  readonly seen: Queued[] = [];
  @ConsumesEvent('webhook_deliveries.queued')
  async onQueued(payload: Queued): Promise<void> {
    this.seen.push(payload);
  }
}

/** A third one, which fails while its gate is shut. */
@Injectable()
class GatedConsumer {
  readonly seen: Queued[] = [];
  readonly failures: string[] = [];
  shut = new Set<string>();
  @ConsumesEvent('webhook_deliveries.queued')
  async onQueued(payload: Queued): Promise<void> {
    if (this.shut.has(payload.deliveryIds[0])) {
      this.failures.push(payload.deliveryIds[0]);
      throw new Error('gate shut');
    }
    this.seen.push(payload);
  }
}

@Module({ providers: [PingConsumer, GatedConsumer, OutboxService] })
class TestConsumersModule {}

describe('the transactional outbox', () => {
  let app: INestApplication;
  let prisma: PrismaService;
  let outbox: OutboxService;
  let ping: PingConsumer;
  let gated: GatedConsumer;

  beforeAll(async () => {
    const config = loadConfig({ ...process.env, OUTBOX_REDELIVER_AFTER_SECONDS: '1', OUTBOX_POLL_MS: '200' });
    const moduleRef = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config), TestConsumersModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    prisma = app.get(PrismaService);
    outbox = app.get(OutboxService);
    ping = app.get(PingConsumer);
    gated = app.get(GatedConsumer);
  });
  afterAll(async () => app?.close());

  const row = (id: bigint) => prisma.outboxEvent.findUniqueOrThrow({ where: { id } });
  const processed = async (id: bigint) => (await row(id)).processedAt !== null;
  const publish = (m: string) => prisma.$transaction((tx) => outbox.publish(tx, 'webhook_deliveries.queued', { deliveryIds: [m] }));
  const ALL = ['GatedConsumer.onQueued', 'PingConsumer.onQueued', 'WebhookDispatchService.onDeliveriesQueued'];

  it('runs every consumer of an event once after its transaction commits, then marks it processed', async () => {
    const m = marker();
    const id = await publish(m);
    await until(() => processed(id));
    expect(runs(ping.seen, m)).toBe(1);
    expect(runs(gated.seen, m)).toBe(1);
    expect([...(await row(id)).consumersDone].sort()).toEqual(ALL);
  });

  it('never runs the consumers of an event whose transaction rolled back', async () => {
    const m = marker();
    await expect(
      prisma.$transaction(async (tx) => {
        await outbox.publish(tx, 'webhook_deliveries.queued', { deliveryIds: [m] });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const id = await publish(marker());
    await until(() => processed(id));
    expect(runs(ping.seen, m) + runs(gated.seen, m)).toBe(0);
  });

  it('retries a failing consumer on its own; the event is processed only when it too has run', async () => {
    const m = marker();
    gated.shut.add(m);
    const id = await publish(m);
    const queue = app.get<Queue>(getQueueToken(QueueName.Events));
    const completed = async (consumer: string) => (await (await queue.getJob(outboxJobId(id, consumer)))?.isCompleted()) === true;
    // Separate jobs: the failing one is not the other one's failure.
    await until(async () => gated.failures.includes(m) && (await completed('PingConsumer.onQueued')), 'ping done, gated failed');
    expect(runs(ping.seen, m)).toBe(1);
    const before = await row(id);
    expect(before.processedAt).toBeNull();
    expect(before.consumersDone).not.toContain('GatedConsumer.onQueued');
    gated.shut.delete(m);
    await until(() => processed(id), 'processed after the retry');
    expect(runs(gated.seen, m)).toBe(1);
    expect(runs(ping.seen, m)).toBe(1);
  });

  it('runs an inline event once when its writer hands it over, and replays it when the writer never does', async () => {
    const consumers = app.get(EventConsumers);
    const inline = (m: string) =>
      prisma.sqlTransaction((db) => outbox.publishSql(db, 'webhook_deliveries.queued', { deliveryIds: [m] }, { inline: true }), {
        statementTimeoutMs: 5_000,
      });
    const handed = marker();
    const id = await inline(handed);
    await consumers.runNow(id, 'webhook_deliveries.queued', { deliveryIds: [handed] });
    expect(await processed(id)).toBe(true);
    expect((await row(id)).relayCount).toBe(1); // the relay never queued it
    expect(runs(ping.seen, handed) + runs(gated.seen, handed)).toBe(2);

    // The writer died between its commit and runNow: the relay takes the row up after the grace (here 1 s).
    const dropped = marker();
    const orphan = await inline(dropped);
    await until(() => processed(orphan), 'replayed by the relay', 15_000);
    expect((await row(orphan)).relayCount).toBeGreaterThanOrEqual(2);
    expect(runs(ping.seen, dropped) + runs(gated.seen, dropped)).toBe(2);
  });

  it('records the inline consumers that finished at once, and retries the one that failed alone', async () => {
    const consumers = app.get(EventConsumers);
    const m = marker();
    gated.shut.add(m);
    const id = await prisma.sqlTransaction(
      (db) => outbox.publishSql(db, 'webhook_deliveries.queued', { deliveryIds: [m] }, { inline: true }),
      { statementTimeoutMs: 5_000 },
    );
    await consumers.runNow(id, 'webhook_deliveries.queued', { deliveryIds: [m] });
    const after = await row(id);
    expect(after.processedAt).toBeNull();
    expect([...after.consumersDone].sort()).toEqual(ALL.filter((c) => c !== 'GatedConsumer.onQueued'));
    gated.shut.delete(m);
    await until(() => processed(id), 'processed after the retry');
    expect([...(await row(id)).consumersDone].sort()).toEqual(ALL);
    expect(runs(gated.seen, m)).toBe(1);
    expect(runs(ping.seen, m)).toBe(1);
  });

  it('replays the unfinished consumers of an event whose jobs were lost (as when Redis restarts)', async () => {
    const worker = app.get(EventsProcessor).worker;
    await worker.pause();
    try {
      const m = marker();
      const id = await publish(m);
      await until(async () => (await row(id)).relayedAt !== null, 'relayed');
      // Redis forgets every job, as a restart without persistence does; one consumer had finished before.
      const queue = app.get<Queue>(getQueueToken(QueueName.Events));
      await queue.obliterate({ force: true });
      expect(await queue.getJob(outboxJobId(id, 'GatedConsumer.onQueued'))).toBeUndefined();
      await prisma.$executeRaw`UPDATE outbox_events SET consumers_done = '{PingConsumer.onQueued}' WHERE id = ${id}`;
      await worker.resume();
      await until(() => processed(id), 'replayed', 15_000);
      const after = await row(id);
      expect(after.relayCount).toBeGreaterThanOrEqual(2);
      expect([...after.consumersDone].sort()).toEqual(ALL);
      expect(runs(gated.seen, m)).toBe(1);
      expect(runs(ping.seen, m)).toBe(0);
    } finally {
      await worker.resume();
    }
  });
});
