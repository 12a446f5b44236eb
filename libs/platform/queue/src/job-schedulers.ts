import { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';

const logger = new Logger('JobSchedulers');
/** Longest time a lost scheduler stays lost. */
const CHECK_MAX_MS = 30_000;

/**
 * Creates (or updates) the repeatable job `name` on `queue`, every `everyMs`,
 * and puts it back whenever it goes missing. A job scheduler lives in Redis
 * only: a Redis that restarts without persistence loses it, and nothing
 * else would create it again until the worker restarts (expiry sweeps and
 * clean-ups would silently stop). Returns a function that stops the check.
 */
export async function keepJobScheduler(queue: Queue, name: string, everyMs: number): Promise<() => void> {
  const upsert = () => queue.upsertJobScheduler(name, { every: everyMs }, { name });
  await upsert();
  let checking = false;
  const timer = setInterval(
    () => {
      if (checking) return;
      checking = true;
      queue
        .getJobScheduler(name)
        .then(async (scheduler) => {
          if (scheduler) return;
          await upsert();
          logger.warn(`job scheduler ${queue.name}/${name} was missing (Redis lost its data?); created it again`);
        })
        .catch((error: Error) => logger.warn(`cannot check job scheduler ${queue.name}/${name} (${error.message}); will retry`))
        .finally(() => (checking = false));
    },
    Math.min(everyMs, CHECK_MAX_MS),
  );
  timer.unref();
  return () => clearInterval(timer);
}
