import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { QueueName } from '@app/queue';
import { EndpointSlots } from './endpoint-slots.js';

/** Waiters a release tries to promote before it gives up (the others wake at their fallback). */
const WAKE_TRIES = 3;
/** Bounds of the fallback wait of a delivery whose endpoint is busy (see `slotWaitFallbackMs`). */
const SLOT_WAIT_MIN_MS = 1_000;
const SLOT_WAIT_MAX_MS = 30_000;

/** A slot taken (its token, to give back), or the time since which the job waits for one. */
export type SlotClaim = { token: string } | { waitingSinceMs: number };

/** The slot key of a member's share of deliveries (endpoint ids are UUIDs, so it cannot collide with one). */
export function memberSlotKey(memberId: string): string {
  return `member:${memberId}`;
}

/** How long a slot is held at most before it expires on its own: an attempt's time, with room to record it. */
export function slotHoldMs(timeoutMs: number): number {
  return timeoutMs * 2 + 5_000;
}

/**
 * When a waiting delivery looks again by itself, should no release wake it
 * first: about as long again as it has waited (so the checks of a long
 * queue thin out), between 1 and 30 s, with ±20 % jitter.
 */
export function slotWaitFallbackMs(waitedMs: number, random: () => number = Math.random): number {
  const base = Math.min(SLOT_WAIT_MAX_MS, Math.max(SLOT_WAIT_MIN_MS, waitedMs));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * The endpoint-slot protocol, seen from a delivery job: claim a slot of an
 * endpoint (or of a member's share), park the job out of the worker while
 * none is free, and give the slot back, waking the longest waiter. The
 * fleet-wide bookkeeping is `EndpointSlots` (Redis); this adds the job side.
 */
@Injectable()
export class SlotProtocol {
  private readonly logger = new Logger(SlotProtocol.name);

  constructor(
    private readonly slots: EndpointSlots,
    @InjectQueue(QueueName.Webhooks) private readonly queue: Queue,
  ) {}

  /** Takes one of `limit` slots of `key` for `job`, or queues the job as a waiter (no job: an inline attempt, queued as none). */
  claim(key: string, limit: number, holdMs: number, job?: Job): Promise<SlotClaim> {
    return this.slots.acquire(key, limit, holdMs, job?.id ?? '');
  }

  /**
   * Moves the job to `delayed` until a release wakes it (promotes it). The
   * delay is only the fallback for a wake that never comes (the releasing
   * worker died, the slot expired with its crashed holder): it grows with the
   * time already waited, so a long queue at a slow endpoint does not poll.
   * The caller then ends the job with BullMQ's DelayedError.
   */
  async park(job: Job, key: string, waitingSinceMs: number): Promise<void> {
    await job.moveToDelayed(Date.now() + slotWaitFallbackMs(Date.now() - waitingSinceMs), job.token);
    // A release may have picked this job before it was in `delayed`, when there was nothing to promote yet.
    if (job.id && (await this.slots.wasWoken(key, job.id))) await job.promote().catch(() => undefined);
  }

  /** Gives the slot back and wakes the key's longest-waiting delivery, if any; never fails the attempt. */
  async release(key: string, token: string, holdMs: number): Promise<void> {
    try {
      let next = await this.slots.release(key, token, holdMs);
      // A waiter that cannot be promoted is gone, or has not reached `delayed` yet (it will see its wake mark
      // then); either way the freed slot goes to the next one too, so that it is not left idle.
      for (let tries = 0; next && tries < WAKE_TRIES; tries++) {
        if (await this.promote(next)) return;
        next = await this.slots.release(key, '', holdMs);
      }
    } catch (error) {
      this.logger.warn(`releasing a slot of ${key}: ${(error as Error).message} (it expires on its own)`);
    }
  }

  /** Promotes a delayed job; false when it is not (or no longer) delayed. */
  private promote(jobId: string): Promise<boolean> {
    return this.queue
      .getBackend()
      .promote(jobId)
      .then(
        () => true,
        () => false,
      );
  }
}
