import { Inject, Injectable } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { AuditAction, AuditService, SYSTEM_ACTOR } from '@app/audit';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { DeliveryStatus, MemberStatus, PrismaService, WebhookEndpointStatus, type Prisma } from '@app/database';
import { OutboxService } from '@app/outbox';
import { JobName } from '@app/queue';
import { AddressPolicy } from './delivery/address-policy.js';
import { EndpointSlots } from './delivery/endpoint-slots.js';
import { postWebhook, type PostOutcome } from './delivery/http-post.js';
import { nextRetryDelay, parseRetryAfter } from './delivery/retry-schedule.js';
import { signWebhook } from './delivery/signing.js';
import { WebhookKeysService } from './webhook-keys.service.js';
import { RESPONSE_BODY_CAP_BYTES, USER_AGENT } from './webhooks.constants.js';

/** Data of a `webhook.deliver` job. */
export interface DeliverJob {
  deliveryId: string;
  round: number;
}

/** How an attempt ended, and what happens next. */
export type AttemptVerdict =
  | { kind: 'succeeded' }
  | { kind: 'retry'; at: number; reason: string }
  | { kind: 'failed'; reason: string; disable?: string };

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

/** Starting a little early is fine; starting much earlier than due means the job ran ahead of its schedule. */
const EARLY_TOLERANCE_MS = 250;

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
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly keys: WebhookKeysService,
    private readonly policy: AddressPolicy,
    private readonly slots: EndpointSlots,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  /** Runs the job's attempt; throws DelayedError to wait, UnrecoverableError when the delivery failed for good. */
  async run(data: DeliverJob, job: Job): Promise<void> {
    const [row] = await this.prisma.$queryRaw<DueDelivery[]>`
      SELECT d.id, d.status::text AS status, d.round, d.attempt_count AS "attemptCount", d.next_attempt_at AS "nextAttemptAt",
             d.event_id AS "eventId", d.body, e.id AS "endpointId", e.member_id AS "memberId", e.url,
             e.status::text AS "endpointStatus", e.secret_encrypted AS "secretEncrypted",
             e.previous_secret_encrypted AS "previousSecretEncrypted",
             e.previous_secret_expires_at AS "previousSecretExpiresAt", e.asymmetric_signature AS "asymmetricSignature",
             m.status::text AS "memberStatus"
        FROM webhook_deliveries d
        JOIN webhook_endpoints e ON e.id = d.endpoint_id
        JOIN members m ON m.id = e.member_id
       WHERE d.id = ${data.deliveryId}::uuid`;
    if (!row || row.status !== DeliveryStatus.PENDING || row.round !== data.round) return;
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

    const { timeoutMs, endpointConcurrency } = this.config.webhooks;
    const slot = await this.slots.acquire(row.endpointId, endpointConcurrency, timeoutMs * 2 + 5_000);
    // The endpoint has its share in flight: wait briefly without spending an attempt.
    if (!slot) await this.postpone(job, Date.now() + 500 + Math.floor(Math.random() * 1_500));

    const startedAt = new Date();
    let outcome: PostOutcome;
    try {
      const secrets = this.keys.secretsInForce({ ...row, id: row.endpointId }, startedAt);
      const ed25519 = row.asymmetricSignature ? (await this.keys.signingKey()).key : undefined;
      const headers = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...signWebhook(row.eventId, startedAt, row.body, secrets, ed25519),
      };
      outcome = await postWebhook(row.url, row.body, headers, { policy: this.policy, timeoutMs, maxBodyBytes: RESPONSE_BODY_CAP_BYTES });
    } finally {
      await this.slots.release(row.endpointId, slot!);
    }

    const verdict = await this.record(row, startedAt, outcome, judgeAttempt(outcome, row.attemptCount + 1, this.config.webhooks.retryScheduleMs));
    if (verdict.kind === 'succeeded') return;
    if (verdict.kind === 'retry') await this.postpone(job, verdict.at);
    throw new UnrecoverableError(`webhook delivery ${row.id} failed: ${verdict.kind === 'failed' ? verdict.reason : ''}`);
  }

  /** Writes the attempt and its consequences in one transaction; returns the final verdict. */
  private async record(row: DueDelivery, startedAt: Date, outcome: PostOutcome, judged: AttemptVerdict): Promise<AttemptVerdict> {
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
      if (verdict.kind === 'succeeded') {
        await tx.$executeRaw`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ${row.endpointId}::uuid AND failing_since IS NOT NULL`;
      } else {
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
      }
      const done = verdict.kind !== 'retry';
      await tx.webhookDelivery.update({
        where: { id: row.id },
        data: {
          attemptCount: { increment: 1 },
          lastAttemptAt: startedAt,
          status: verdict.kind === 'succeeded' ? DeliveryStatus.SUCCEEDED : verdict.kind === 'failed' ? DeliveryStatus.FAILED : DeliveryStatus.PENDING,
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
    await this.outbox.publish(tx, JobName.events.WebhookEndpointDisabled, { endpointId: row.endpointId });
    await this.audit.record(tx, {
      actor: SYSTEM_ACTOR,
      action: AuditAction.WebhookEndpointDisabled,
      target: { type: 'webhook_endpoint', id: row.endpointId },
      details: { memberId: row.memberId, reason },
    });
  }

  private async postpone(job: Job, at: number): Promise<never> {
    await job.moveToDelayed(at, job.token);
    throw new DelayedError();
  }
}
