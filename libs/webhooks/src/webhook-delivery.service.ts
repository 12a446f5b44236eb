import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import { AuditAction, AuditService, SYSTEM_ACTOR } from '@app/audit';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { DeliveryStatus, MemberStatus, PrismaService, WebhookEndpointStatus, type Prisma } from '@app/database';
import { OutboxService } from '@app/outbox';
import { JobName, QueueName } from '@app/queue';
import { AddressPolicy } from './delivery/address-policy.js';
import { Batcher } from './delivery/batcher.js';
import { EndpointSlots } from './delivery/endpoint-slots.js';
import { ConnectionPool, postWebhook, type PostOutcome } from './delivery/http-post.js';
import { nextRetryDelay, parseRetryAfter } from './delivery/retry-schedule.js';
import { signWebhook } from './delivery/signing.js';
import { WebhookKeysService } from './webhook-keys.service.js';
import { RESPONSE_BODY_CAP_BYTES, USER_AGENT } from './webhooks.constants.js';

/** Data of a `webhook.deliver` job. */
export interface DeliverJob {
  deliveryId: string;
  round: number;
  /** The delivery's endpoint, so that a busy endpoint is found before the row is read (absent from older jobs). */
  endpointId?: string;
}

/** How an attempt ended, and what happens next. */
export type AttemptVerdict =
  { kind: 'succeeded' } | { kind: 'retry'; at: number; reason: string } | { kind: 'failed'; reason: string; disable?: string };

interface DueDelivery {
  id: string;
  status: DeliveryStatus;
  round: number;
  attemptCount: number;
  nextAttemptAt: Date | null;
  eventId: string;
  body: string;
  endpointId: string;
  memberId: string;
  url: string;
  endpointStatus: WebhookEndpointStatus;
  memberStatus: MemberStatus;
  secretEncrypted: Uint8Array;
  previousSecretEncrypted: Uint8Array | null;
  previousSecretExpiresAt: Date | null;
  asymmetricSignature: boolean;
}

/** A successful attempt, to be recorded. */
interface SucceededAttempt {
  deliveryId: string;
  endpointId: string;
  attemptedAt: Date;
  statusCode: number;
  latencyMs: number;
  responseBody: string | null;
}

/** Starting a little early is fine; starting much earlier than due means the job ran ahead of its schedule. */
const EARLY_TOLERANCE_MS = 250;
/** Waiters a release tries to promote before it gives up (the others wake at their fallback). */
const WAKE_TRIES = 3;
/** Bounds of the fallback wait of a delivery whose endpoint is busy (see `slotWaitFallbackMs`). */
const SLOT_WAIT_MIN_MS = 1_000;
const SLOT_WAIT_MAX_MS = 30_000;

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

/** Text Postgres can store (no NUL), at most `max` characters. */
function storable(text: string | undefined, max: number): string | null {
  return text === undefined ? null : text.replace(/\u0000/g, '\uFFFD').slice(0, max);
}

/**
 * Decides from one attempt's outcome: 2xx succeeds; 410 fails and disables
 * the endpoint; anything else (3xx included: redirects are not followed)
 * retries on the schedule, 429 and 503 after their Retry-After instead,
 * until the schedule is used up.
 */
export function judgeAttempt(outcome: PostOutcome, attemptsDone: number, scheduleMs: readonly number[], now = Date.now()): AttemptVerdict {
  const status = outcome.statusCode;
  if (status !== undefined && status >= 200 && status < 300) return { kind: 'succeeded' };
  if (status === 410) return { kind: 'failed', reason: 'answered 410 Gone', disable: 'the endpoint answered 410 Gone' };
  const reason =
    outcome.error ??
    (status !== undefined && status >= 300 && status < 400 ? `answered ${status} (redirects are not followed)` : `answered ${status}`);
  const scheduled = nextRetryDelay(scheduleMs, attemptsDone);
  if (scheduled === undefined) return { kind: 'failed', reason: `${reason}; no attempts left` };
  const retryAfter = status === 429 || status === 503 ? parseRetryAfter(outcome.retryAfter, now) : undefined;
  return { kind: 'retry', at: now + (retryAfter ?? scheduled), reason };
}

/**
 * One attempt of one delivery (worker role): sign the stored body, POST it
 * through the address policy, record the attempt, then succeed, move the
 * job to `delayed` until the next attempt, or fail it. The row is the
 * truth: a job for a finished, deleted or superseded delivery does nothing.
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger(WebhookDeliveryService.name);
  /** Idle pooled sockets are unreferenced: they hold no shutdown up, and close within seconds. */
  private readonly connections = new ConnectionPool();
  private readonly reads = new Batcher<string, DueDelivery | undefined>((ids) => this.readDue(ids));
  private readonly successes = new Batcher<SucceededAttempt, void>((done) => this.recordSucceeded(done));

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly keys: WebhookKeysService,
    private readonly policy: AddressPolicy,
    private readonly slots: EndpointSlots,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    @InjectQueue(QueueName.Webhooks) private readonly queue: Queue,
  ) {}

  /** Runs the job's attempt; throws DelayedError to wait, UnrecoverableError when the delivery failed for good. */
  async run(data: DeliverJob, job: Job): Promise<void> {
    const { timeoutMs, endpointConcurrency, memberConcurrency } = this.config.webhooks;
    const holdMs = slotHoldMs(timeoutMs);
    const take = (endpointId: string) => this.slots.acquire(endpointId, endpointConcurrency, holdMs, job.id ?? '');
    // The endpoint has its share in flight: wait, without spending an attempt, until a delivery to it ends. A job
    // that names its endpoint asks before reading its row, so that waiting costs no database work.
    let held: { endpointId: string; token: string } | undefined;
    let memberHeld: string | undefined;
    let memberId: string | undefined;
    if (data.endpointId) {
      const grant = await take(data.endpointId);
      if (!('token' in grant)) return this.waitForSlot(job, data.endpointId, grant.waitingSinceMs);
      held = { endpointId: data.endpointId, token: grant.token };
    }
    try {
      const row = await this.due(data.deliveryId);
      if (!row || row.status !== DeliveryStatus.PENDING || row.round !== data.round) return;
      memberId = row.memberId;
      // A disabled endpoint, or a suspended member, gets nothing more: the delivery ends without an attempt.
      if (row.endpointStatus === WebhookEndpointStatus.DISABLED || row.memberStatus !== MemberStatus.ACTIVE) {
        await this.prisma.webhookDelivery.updateMany({
          where: { id: row.id, status: DeliveryStatus.PENDING, round: row.round },
          data: { status: DeliveryStatus.FAILED, completedAt: new Date(), nextAttemptAt: null },
        });
        return;
      }
      const due = row.nextAttemptAt?.getTime() ?? 0;
      if (due - Date.now() > EARLY_TOLERANCE_MS) await this.postpone(job, due);
      if (!held) {
        const grant = await take(row.endpointId);
        if (!('token' in grant)) return this.waitForSlot(job, row.endpointId, grant.waitingSinceMs);
        held = { endpointId: row.endpointId, token: grant.token };
      }
      // The member has its share in flight (across all its endpoints): give the endpoint slot back and wait, out
      // of the worker, in the member's FIFO; so one member's slow receivers cannot take every worker slot.
      const memberKey = memberSlotKey(row.memberId);
      const memberGrant = await this.slots.acquire(memberKey, memberConcurrency, holdMs, job.id ?? '');
      if (!('token' in memberGrant)) {
        const released = held;
        held = undefined;
        await this.releaseSlot(released.endpointId, released.token, holdMs);
        return this.waitForSlot(job, memberKey, memberGrant.waitingSinceMs);
      }
      memberHeld = memberGrant.token;

      const startedAt = new Date();
      const secrets = this.keys.secretsInForce({ ...row, id: row.endpointId }, startedAt);
      const ed25519 = row.asymmetricSignature ? (await this.keys.signingKey()).key : undefined;
      const headers = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...signWebhook(row.eventId, startedAt, row.body, secrets, ed25519),
      };
      const outcome = await postWebhook(row.url, row.body, headers, {
        policy: this.policy,
        timeoutMs,
        maxBodyBytes: RESPONSE_BODY_CAP_BYTES,
        pool: this.connections,
      });
      // The slot goes to the next delivery now: it need not wait for this one's bookkeeping.
      const released = held;
      held = undefined;
      await this.releaseSlot(released.endpointId, released.token, holdMs);
      const memberToken = memberHeld;
      memberHeld = undefined;
      await this.releaseSlot(memberSlotKey(row.memberId), memberToken, holdMs);

      const verdict = await this.record(
        row,
        startedAt,
        outcome,
        judgeAttempt(outcome, row.attemptCount + 1, this.config.webhooks.retryScheduleMs),
      );
      if (verdict.kind === 'succeeded') return;
      if (verdict.kind === 'retry') await this.postpone(job, verdict.at);
      throw new UnrecoverableError(`webhook delivery ${row.id} failed: ${verdict.kind === 'failed' ? verdict.reason : ''}`);
    } finally {
      if (held) await this.releaseSlot(held.endpointId, held.token, holdMs);
      if (memberHeld && memberId) await this.releaseSlot(memberSlotKey(memberId), memberHeld, holdMs);
    }
  }

  /** The delivery with what an attempt needs of its endpoint and member. */
  private due(deliveryId: string): Promise<DueDelivery | undefined> {
    return this.reads.call(deliveryId);
  }

  /** The rows of a burst of deliveries, read together. */
  private async readDue(ids: string[]): Promise<(DueDelivery | undefined)[]> {
    const rows = await this.prisma.$queryRaw<DueDelivery[]>`
      SELECT d.id, d.status::text AS status, d.round, d.attempt_count AS "attemptCount", d.next_attempt_at AS "nextAttemptAt",
             d.event_id AS "eventId", d.body, e.id AS "endpointId", e.member_id AS "memberId", e.url,
             e.status::text AS "endpointStatus", e.secret_encrypted AS "secretEncrypted",
             e.previous_secret_encrypted AS "previousSecretEncrypted",
             e.previous_secret_expires_at AS "previousSecretExpiresAt", e.asymmetric_signature AS "asymmetricSignature",
             m.status::text AS "memberStatus"
        FROM webhook_deliveries d
        JOIN webhook_endpoints e ON e.id = d.endpoint_id
        JOIN members m ON m.id = e.member_id
       WHERE d.id = ANY(${ids}::uuid[])`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id));
  }

  /**
   * Successful attempts of a burst, recorded together in one statement
   * (atomic by itself): each attempt, its delivery done, and its endpoint no
   * longer failing.
   */
  private async recordSucceeded(done: SucceededAttempt[]): Promise<void[]> {
    await this.prisma.$executeRaw`
      WITH u AS (
        SELECT * FROM unnest(${done.map((d) => d.deliveryId)}::uuid[], ${done.map((d) => d.endpointId)}::uuid[],
                             ${done.map((d) => d.attemptedAt.toISOString())}::timestamptz[], ${done.map((d) => d.statusCode)}::int[],
                             ${done.map((d) => d.latencyMs)}::int[], ${done.map((d) => d.responseBody)}::text[])
                 AS u(delivery_id, endpoint_id, attempted_at, status_code, latency_ms, response_body)
      ), attempts AS (
        INSERT INTO webhook_delivery_attempts (delivery_id, attempted_at, status_code, latency_ms, response_body)
        SELECT delivery_id, attempted_at, status_code, latency_ms, response_body FROM u
      ), recovered AS (
        UPDATE webhook_endpoints e SET failing_since = NULL
          FROM u WHERE e.id = u.endpoint_id AND e.failing_since IS NOT NULL
      )
      UPDATE webhook_deliveries d
         SET attempt_count = d.attempt_count + 1, last_attempt_at = u.attempted_at, status = 'SUCCEEDED',
             next_attempt_at = NULL, completed_at = now()
        FROM u WHERE d.id = u.delivery_id`;
    return done.map(() => undefined);
  }

  /** Writes the attempt and its consequences atomically; returns the final verdict. */
  private async record(row: DueDelivery, startedAt: Date, outcome: PostOutcome, judged: AttemptVerdict): Promise<AttemptVerdict> {
    if (judged.kind === 'succeeded') {
      // The common case: one statement, shared with the other attempts that end at the same time.
      await this.successes.call({
        deliveryId: row.id,
        endpointId: row.endpointId,
        attemptedAt: startedAt,
        statusCode: outcome.statusCode!,
        latencyMs: outcome.latencyMs,
        responseBody: storable(outcome.body, 2_048),
      });
      return judged;
    }
    return this.prisma.$transaction(async (tx) => {
      await tx.webhookDeliveryAttempt.create({
        data: {
          deliveryId: row.id,
          attemptedAt: startedAt,
          statusCode: outcome.statusCode ?? null,
          latencyMs: outcome.latencyMs,
          responseBody: storable(outcome.body, 2_048),
          error: storable(outcome.error, 1_000),
        },
      });
      let verdict = judged;
      const [{ failingSince }] = await tx.$queryRaw<{ failingSince: Date }[]>`
        UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, now())
         WHERE id = ${row.endpointId}::uuid RETURNING failing_since AS "failingSince"`;
      const limit = this.config.webhooks.disableAfterSeconds;
      if (!(verdict.kind === 'failed' && verdict.disable) && Date.now() - failingSince.getTime() >= limit * 1000) {
        verdict = {
          kind: 'failed',
          reason: `${verdict.reason}; endpoint disabled`,
          disable: `failing continuously since ${failingSince.toISOString()} (over ${limit} s)`,
        };
      }
      const done = verdict.kind !== 'retry';
      await tx.webhookDelivery.update({
        where: { id: row.id },
        data: {
          attemptCount: { increment: 1 },
          lastAttemptAt: startedAt,
          status: verdict.kind === 'failed' ? DeliveryStatus.FAILED : DeliveryStatus.PENDING,
          nextAttemptAt: verdict.kind === 'retry' ? new Date(verdict.at) : null,
          completedAt: done ? new Date() : null,
        },
      });
      if (verdict.kind === 'failed' && verdict.disable) await this.disable(tx, row, verdict.disable);
      return verdict;
    });
  }

  /** Disables an enabled endpoint, tells its member's other endpoints (outbox), and audits it. */
  private async disable(tx: Prisma.TransactionClient, row: DueDelivery, reason: string): Promise<void> {
    const disabledAt = new Date();
    const { count } = await tx.webhookEndpoint.updateMany({
      where: { id: row.endpointId, status: WebhookEndpointStatus.ENABLED },
      data: { status: WebhookEndpointStatus.DISABLED, disabledAt, disabledReason: reason.slice(0, 500) },
    });
    if (count === 0) return;
    await this.outbox.publish(tx, 'webhook_endpoint.disabled', { endpointId: row.endpointId });
    await this.audit.record(tx, {
      actor: SYSTEM_ACTOR,
      action: AuditAction.WebhookEndpointDisabled,
      target: { type: 'webhook_endpoint', id: row.endpointId },
      details: { memberId: row.memberId, reason },
    });
  }

  /**
   * Leaves the worker until a release wakes this job (promotes it out of
   * `delayed`). The delay is only the fallback for a wake that never comes
   * (the releasing worker died, the slot expired with its crashed holder):
   * it grows with the time already waited, so a long queue at a slow
   * endpoint does not poll.
   */
  private async waitForSlot(job: Job, endpointId: string, waitingSinceMs: number): Promise<never> {
    await job.moveToDelayed(Date.now() + slotWaitFallbackMs(Date.now() - waitingSinceMs), job.token);
    // A release may have picked this job before it was in `delayed`, when there was nothing to promote yet.
    if (job.id && (await this.slots.wasWoken(endpointId, job.id))) await job.promote().catch(() => undefined);
    throw new DelayedError();
  }

  /** Gives the slot back and wakes the endpoint's longest-waiting delivery, if any; never fails the attempt. */
  private async releaseSlot(endpointId: string, token: string, holdMs: number): Promise<void> {
    try {
      let next = await this.slots.release(endpointId, token, holdMs);
      // A waiter that cannot be promoted is gone, or has not reached `delayed` yet (it will see its wake mark
      // then); either way the freed slot goes to the next one too, so that it is not left idle.
      for (let tries = 0; next && tries < WAKE_TRIES; tries++) {
        if (await this.promote(next)) return;
        next = await this.slots.release(endpointId, '', holdMs);
      }
    } catch (error) {
      this.logger.warn(`releasing a slot of endpoint ${endpointId}: ${(error as Error).message} (it expires on its own)`);
    }
  }

  private async promote(jobId: string): Promise<boolean> {
    try {
      await this.queue.getBackend().promote(jobId);
      return true;
    } catch {
      return false;
    }
  }

  private async postpone(job: Job, at: number): Promise<never> {
    await job.moveToDelayed(at, job.token);
    throw new DelayedError();
  }
}
