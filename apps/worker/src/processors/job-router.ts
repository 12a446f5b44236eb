import type { Job } from 'bullmq';
import type { MetricsService } from '@app/observability';
import type { JobHandlers, QueueName } from '@app/queue';

/** Runs the registered handler of a job, counting and timing it; errors propagate so BullMQ retries. */
export async function routeJob(
  queue: QueueName,
  job: Job,
  data: unknown,
  handlers: JobHandlers,
  metrics: MetricsService,
): Promise<void> {
  const end = metrics.jobDuration.startTimer({ queue });
  try {
    await handlers.get(queue, job.name)(data, job);
    metrics.jobs.inc({ queue, outcome: 'completed' });
  } catch (error) {
    metrics.jobs.inc({ queue, outcome: 'failed' });
    throw error;
  } finally {
    end();
  }
}
