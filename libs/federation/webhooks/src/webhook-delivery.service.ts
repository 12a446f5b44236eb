import { Inject, Injectable } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { DeliveryStatus, MemberStatus, WebhookEndpointStatus } from '@app/database';
import { AddressPolicy } from './delivery/address-policy.js';
import { AttemptRecorder } from './delivery/attempt-verdict.js';
import { DeliveryRows, type DueDelivery } from './delivery/delivery-rows.js';
import { ConnectionPool, postWebhook } from './delivery/http-post.js';
import { signWebhook } from './delivery/signing.js';
import { memberSlotKey, slotHoldMs, SlotProtocol } from './delivery/slot-protocol.js';
import { WebhookKeysService } from './webhook-keys.service.js';
import { RESPONSE_BODY_CAP_BYTES, USER_AGENT } from './webhooks.constants.js';

/** Data of a `webhook.deliver` job. */
export interface DeliverJob {
  deliveryId: string;
  round: number;
  /** The delivery's endpoint, so that a busy endpoint is found before the row is read. */
  endpointId?: string;
}

/** How a job's run ended: done, parked until a slot frees, postponed to a time, or failed for good. */
type Outcome = { kind: 'done' } | { kind: 'parked' } | { kind: 'postponed'; until: number } | { kind: 'failed'; reason: string };

/** Starting a little early is fine; starting much earlier than due means the job ran ahead of its schedule. */
const EARLY_TOLERANCE_MS = 250;

/** Slots a run holds, given back however it ends. */
class HeldSlots {
  private readonly held = new Map<string, string>();

  constructor(
    private readonly protocol: SlotProtocol,
    private readonly holdMs: number,
  ) {}

  add(key: string, token: string): void {
    this.held.set(key, token);
  }

  has(key: string): boolean {
    return this.held.has(key);
  }

  get size(): number {
    return this.held.size;
  }

  async release(key: string): Promise<void> {
    const token = this.held.get(key);
    if (token === undefined) return;
    this.held.delete(key);
    await this.protocol.release(key, token, this.holdMs);
  }

  /** Gives every slot back at once (each release is its own Redis round trip). */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.held.keys()].map((key) => this.release(key)));
  }
}

/**
 * One attempt of one delivery (worker role): take the endpoint's and the
 * member's slots, sign the stored body, POST it through the address policy,
 * record the attempt, then succeed, move the job to `delayed` until the next
 * attempt, or fail it. The row is the truth: a job for a finished, deleted
 * or superseded delivery does nothing. The slot protocol, the verdict and
 * the batched row access live in `delivery/`.
 */
@Injectable()
export class WebhookDeliveryService {
  /** Idle pooled sockets are unreferenced: they hold no shutdown up, and close within seconds. */
  private readonly connections = new ConnectionPool();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rows: DeliveryRows,
    private readonly recorder: AttemptRecorder,
    private readonly keys: WebhookKeysService,
    private readonly policy: AddressPolicy,
    private readonly slots: SlotProtocol,
  ) {}

  /**
   * Runs the job's attempt. BullMQ's own signals end it where BullMQ needs
   * them: DelayedError once the job moved itself to `delayed`,
   * UnrecoverableError when the delivery failed for good.
   */
  async run(data: DeliverJob, job: Job): Promise<void> {
    const outcome = await this.attempt(data, job);
    switch (outcome.kind) {
      case 'done':
        return;
      case 'parked':
        throw new DelayedError();
      case 'postponed':
        await job.moveToDelayed(outcome.until, job.token);
        throw new DelayedError();
      case 'failed':
        throw new UnrecoverableError(`webhook delivery ${data.deliveryId} failed: ${outcome.reason}`);
    }
  }

  /**
   * Runs a just-bound delivery's first attempt in this process, without a
   * queue job (so without the job's pick-up and bookkeeping round trips),
   * on the row as binding returned it (so without reading it again).
   * Returns when its job must be queued instead: at once when a slot was
   * busy (the job then waits in the slot FIFO as any other), or at the next
   * attempt's time; nothing when the delivery ended. The row is the truth:
   * should this process die first, the recovery sweep queues the delivery.
   */
  async runInline(row: DueDelivery): Promise<{ queueAt: number } | undefined> {
    const outcome = await this.attemptBound(row);
    switch (outcome.kind) {
      case 'done':
      case 'failed':
        return undefined;
      case 'parked':
        return { queueAt: Date.now() };
      case 'postponed':
        return { queueAt: outcome.until };
    }
  }

  /** A job's attempt: a busy slot parks the job among the slot's waiters. */
  private async attempt(data: DeliverJob, job: Job): Promise<Outcome> {
    const { timeoutMs, endpointConcurrency, memberConcurrency } = this.config.webhooks;
    const held = new HeldSlots(this.slots, slotHoldMs(timeoutMs));
    /** Takes a slot of `key`, or parks the job in the key's queue of waiters. */
    const take = async (key: string, limit: number): Promise<boolean> => {
      const claim = await this.slots.claim(key, limit, slotHoldMs(timeoutMs), job);
      if ('token' in claim) {
        held.add(key, claim.token);
        return true;
      }
      await held.releaseAll();
      await this.slots.park(job, key, claim.waitingSinceMs);
      return false;
    };
    try {
      // The endpoint has its share in flight: wait, without spending an attempt, until a delivery to it ends. A job
      // that names its endpoint asks before reading its row, so that waiting costs no database work.
      if (data.endpointId && !(await take(data.endpointId, endpointConcurrency))) return { kind: 'parked' };
      const row = await this.rows.due(data.deliveryId);
      if (!row) return { kind: 'done' };
      const early = await this.beforeSending(row, data.round);
      if (early) return early;
      if (!held.has(row.endpointId) && !(await take(row.endpointId, endpointConcurrency))) return { kind: 'parked' };
      // The member has its share in flight (across all its endpoints): give the endpoint slot back and wait, out
      // of the worker, in the member's FIFO; so one member's slow receivers cannot take every worker slot.
      if (!(await take(memberSlotKey(row.memberId), memberConcurrency))) return { kind: 'parked' };
      return await this.send(row, held);
    } finally {
      await held.releaseAll();
    }
  }

  /**
   * An inline attempt of a row just bound: the endpoint's and the member's
   * slots are asked for at once (one Redis round trip instead of two in
   * turn); when either is busy, both are given back and the delivery is
   * `parked` (its job is queued and waits in the FIFO as any other).
   */
  private async attemptBound(row: DueDelivery): Promise<Outcome> {
    const { timeoutMs, endpointConcurrency, memberConcurrency } = this.config.webhooks;
    const holdMs = slotHoldMs(timeoutMs);
    const held = new HeldSlots(this.slots, holdMs);
    try {
      const early = await this.beforeSending(row, row.round);
      if (early) return early;
      const wanted: [key: string, limit: number][] = [
        [row.endpointId, endpointConcurrency],
        [memberSlotKey(row.memberId), memberConcurrency],
      ];
      const claims = await Promise.all(wanted.map(([key, limit]) => this.slots.claim(key, limit, holdMs)));
      for (const [i, claim] of claims.entries()) if ('token' in claim) held.add(wanted[i][0], claim.token);
      if (held.size < wanted.length) return { kind: 'parked' };
      return await this.send(row, held);
    } finally {
      await held.releaseAll();
    }
  }

  /** How an attempt ends before sending, if it does: its row finished or superseded, its endpoint or member out, or not due yet. */
  private async beforeSending(row: DueDelivery, round: number): Promise<Outcome | undefined> {
    if (row.status !== DeliveryStatus.PENDING || row.round !== round) return { kind: 'done' };
    // A disabled endpoint, or a suspended member, gets nothing more: the delivery ends without an attempt.
    if (row.endpointStatus === WebhookEndpointStatus.DISABLED || row.memberStatus !== MemberStatus.ACTIVE) {
      await this.rows.endWithoutAttempt(row);
      return { kind: 'done' };
    }
    const due = row.nextAttemptAt?.getTime() ?? 0;
    if (due - Date.now() > EARLY_TOLERANCE_MS) return { kind: 'postponed', until: due };
    return undefined;
  }

  /** Sends with the slots held, gives them back as soon as the answer is in, then records the attempt. */
  private async send(row: DueDelivery, held: HeldSlots): Promise<Outcome> {
    const startedAt = new Date();
    const outcome = await this.post(row, startedAt);
    // The slots go to the next deliveries now: they need not wait for this one's bookkeeping.
    await held.releaseAll();
    const verdict = await this.recorder.record(row, startedAt, outcome);
    if (verdict.kind === 'succeeded') return { kind: 'done' };
    if (verdict.kind === 'retry') return { kind: 'postponed', until: verdict.at };
    return { kind: 'failed', reason: verdict.reason };
  }

  /** Signs the stored body with the secrets in force and POSTs it through the address policy. */
  private async post(row: DueDelivery, startedAt: Date) {
    const secrets = this.keys.secretsInForce({ ...row, id: row.endpointId }, startedAt);
    const ed25519 = row.asymmetricSignature ? (await this.keys.signingKey()).key : undefined;
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      ...signWebhook(row.eventId, startedAt, row.body, secrets, ed25519),
    };
    return postWebhook(row.url, row.body, headers, {
      policy: this.policy,
      timeoutMs: this.config.webhooks.timeoutMs,
      maxBodyBytes: RESPONSE_BODY_CAP_BYTES,
      pool: this.connections,
    });
  }
}
