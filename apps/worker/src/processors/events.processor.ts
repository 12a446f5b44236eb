import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { PrismaService } from '@app/database';
import { MetricsService } from '@app/observability';
import { JobHandlers, QueueName } from '@app/queue';
import { routeJob } from './job-router.js';

interface OutboxJob {
  outboxId: string;
  payload: unknown;
}

/** Handles relayed outbox events (job name = topic), then marks the outbox row processed. */
@Processor(QueueName.Events)
export class EventsProcessor extends WorkerHost {
  constructor(
    private readonly handlers: JobHandlers,
    private readonly metrics: MetricsService,
    private readonly prisma: PrismaService,
  ) {
    super();
  }

  async process(job: Job<OutboxJob>): Promise<void> {
    await routeJob(QueueName.Events, job, job.data.payload, this.handlers, this.metrics);
    await this.prisma.$executeRaw`
      UPDATE outbox_events SET processed_at = now()
       WHERE id = ${BigInt(job.data.outboxId)} AND processed_at IS NULL`;
  }
}
