import { DelayedError, type Job } from 'bullmq';
import type { MetricsService } from '@app/observability';
import type { JobHandlers, QueueName } from '@app/queue';

/** Runs the registered handler of a job, counting and timing it; errors propagate so BullMQ retries. */
export async function routeJob(queue: QueueName, job: Job, data: unknown, handlers: JobHandlers, metrics: MetricsService): Promise<void> {
  const end = metrics.jobDuration.startTimer({ queue });
  try {
    await handlers.get(queue, job.name)(data, job);
    metrics.jobs.inc({ queue, outcome: 'completed' });
  } catch (error) {
    // A job that moved itself to `delayed` (a webhook waiting for its next attempt) did not fail.
    metrics.jobs.inc({ queue, outcome: error instanceof DelayedError ? 'delayed' : 'failed' });
    throw error;
  } finally {
    end();
  }
}
