import type { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keepJobScheduler } from './job-schedulers.js';

/** A queue whose schedulers live in a Map, like Redis would keep them (until it restarts empty). */
function fakeQueue() {
  const schedulers = new Map<string, unknown>();
  const queue = {
    name: 'maintenance',
    upsertJobScheduler: vi.fn(async (id: string, repeat: unknown) => void schedulers.set(id, repeat)),
    getJobScheduler: vi.fn(async (id: string) => schedulers.get(id)),
  };
  return { schedulers, queue: queue as unknown as Queue & typeof queue };
}

describe('keepJobScheduler', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('creates the scheduler, and creates it again once Redis has lost it', async () => {
    const { schedulers, queue } = fakeQueue();
    const stop = await keepJobScheduler(queue, 'indicators.expire', 60_000);
    expect(schedulers.get('indicators.expire')).toEqual({ every: 60_000 });

    await vi.advanceTimersByTimeAsync(30_000);
    expect(queue.upsertJobScheduler).toHaveBeenCalledTimes(1); // still there: left alone

    schedulers.clear(); // Redis restarted without persistence
    await vi.advanceTimersByTimeAsync(30_000);
    expect(schedulers.get('indicators.expire')).toEqual({ every: 60_000 });
    expect(queue.upsertJobScheduler).toHaveBeenCalledTimes(2);

    stop();
    schedulers.clear();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(schedulers.size).toBe(0);
  });

  it('checks at least as often as the job runs, and keeps checking while Redis is unreachable', async () => {
    const { schedulers, queue } = fakeQueue();
    const stop = await keepJobScheduler(queue, 'indicators.expire', 1_000);
    queue.getJobScheduler.mockRejectedValueOnce(new Error('Connection is closed.'));
    schedulers.clear();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(schedulers.size).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(schedulers.get('indicators.expire')).toEqual({ every: 1_000 });
    stop();
  });
});
