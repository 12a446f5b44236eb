import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, Module, type INestApplication, type OnModuleInit } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { PrismaService } from '@app/database';
import { OutboxService } from '@app/outbox';
import { JobHandlers, QueueName } from '@app/queue';
import { WorkerModule } from '../apps/worker/src/worker.module.js';
import { EventsProcessor } from '../apps/worker/src/processors/events.processor.js';

const seen: unknown[] = [];

@Injectable()
class PingHandler implements OnModuleInit {
  constructor(private readonly handlers: JobHandlers) {}
  onModuleInit(): void {
    this.handlers.register(QueueName.Events, 'test.ping', async (data) => {
      seen.push(data);
    });
  }
}

@Module({ providers: [PingHandler, OutboxService] })
class PingModule {}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the transactional outbox', () => {
  let app: INestApplication;
  let prisma: PrismaService;
  let outbox: OutboxService;

  beforeAll(async () => {
    const config = loadConfig({ ...process.env, OUTBOX_REDELIVER_AFTER_SECONDS: '1', OUTBOX_POLL_MS: '200' });
    const moduleRef = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config), PingModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    prisma = app.get(PrismaService);
    outbox = app.get(OutboxService);
  });
  afterAll(async () => app?.close());

  const processed = async (id: bigint) => (await prisma.outboxEvent.findUniqueOrThrow({ where: { id } })).processedAt !== null;

  it('handles an event once after its transaction commits, and marks it processed', async () => {
    const id = await prisma.$transaction((tx) => outbox.publish(tx, 'test.ping', { n: 1 }));
    await until(() => processed(id));
    expect(seen.filter((d) => (d as { n: number }).n === 1)).toEqual([{ n: 1 }]);
  });

  it('never handles an event whose transaction rolled back', async () => {
    await expect(
      prisma.$transaction(async (tx) => {
        await outbox.publish(tx, 'test.ping', { n: 2 });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const id = await prisma.$transaction((tx) => outbox.publish(tx, 'test.ping', { n: 3 }));
    await until(() => processed(id));
    expect(seen.some((d) => (d as { n: number }).n === 2)).toBe(false);
  });

  it('replays an event whose queued job was lost (as when Redis restarts)', async () => {
    const worker = app.get(EventsProcessor).worker;
    await worker.pause();
    try {
      const id = await prisma.$transaction((tx) => outbox.publish(tx, 'test.ping', { n: 4 }));
      await until(async () => (await prisma.outboxEvent.findUniqueOrThrow({ where: { id } })).relayedAt !== null);
      // Redis forgets every job, as a restart without persistence does.
      const queue = app.get<Queue>(getQueueToken(QueueName.Events));
      await queue.obliterate({ force: true });
      expect(await queue.getJob(`outbox-${id}`)).toBeUndefined();
      await worker.resume();
      await until(() => processed(id), 15_000);
      const row = await prisma.outboxEvent.findUniqueOrThrow({ where: { id } });
      expect(row.relayCount).toBeGreaterThanOrEqual(2);
      expect(seen.filter((d) => (d as { n: number }).n === 4)).toHaveLength(1);
    } finally {
      await worker.resume();
    }
  });
});
