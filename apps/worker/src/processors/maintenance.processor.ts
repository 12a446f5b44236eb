import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { MetricsService } from '@app/observability';
import { JobHandlers, QueueName } from '@app/queue';
import { routeJob } from './job-router.js';

/** Scheduled housekeeping (sweeps, clean-ups), routed by job name. */
@Processor(QueueName.Maintenance, { concurrency: 1 })
export class MaintenanceProcessor extends WorkerHost {
  constructor(
    private readonly handlers: JobHandlers,
    private readonly metrics: MetricsService,
  ) {
    super();
  }

  async process(job: Job): Promise<void> {
    await routeJob(QueueName.Maintenance, job, job.data, this.handlers, this.metrics);
  }
}
