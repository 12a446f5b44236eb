import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { MetricsService } from '@app/observability';
import { EventConsumers, type OutboxJob } from '@app/outbox';
import { QueueName } from '@app/queue';

/** Runs one consumer of one relayed outbox event (job name = topic, data names the consumer). */
@Processor(QueueName.Events)
export class EventsProcessor extends WorkerHost {
  constructor(
    private readonly consumers: EventConsumers,
    private readonly metrics: MetricsService,
  ) {
    super();
  }

  async process(job: Job<OutboxJob>): Promise<void> {
    const end = this.metrics.jobDuration.startTimer({ queue: QueueName.Events });
    try {
      await this.consumers.consume(job.data.outboxId, job.data.consumer, job.data.payload);
      this.metrics.jobs.inc({ queue: QueueName.Events, outcome: 'completed' });
    } catch (error) {
      this.metrics.jobs.inc({ queue: QueueName.Events, outcome: 'failed' });
      throw error;
    } finally {
      end();
    }
  }
}
