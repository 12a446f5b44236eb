import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { MetricsService } from '@app/observability';
import { JobHandlers, QueueName } from '@app/queue';
import { routeJob } from './job-router.js';

/**
 * Webhook delivery attempts. A short lock (renewed every 7.5 s while an
 * attempt runs) means a worker killed mid-delivery has its job picked up by
 * another within about 20 s; a few stalls are tolerated before BullMQ gives
 * up on a job (the recovery sweep re-queues it even then). Concurrency is
 * WEBHOOK_CONCURRENCY, set at bootstrap.
 */
@Processor(QueueName.Webhooks, { lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 3 })
export class WebhooksProcessor extends WorkerHost {
  constructor(
    private readonly handlers: JobHandlers,
    private readonly metrics: MetricsService,
  ) {
    super();
  }

  async process(job: Job): Promise<void> {
    await routeJob(QueueName.Webhooks, job, job.data, this.handlers, this.metrics);
  }
}
