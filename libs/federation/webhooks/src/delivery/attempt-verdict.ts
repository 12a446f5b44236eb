import { Inject, Injectable } from '@nestjs/common';
import { AuditAction, AuditService, SYSTEM_ACTOR } from '@app/audit';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { DeliveryStatus, PrismaService, queryRows, WebhookEndpointStatus, type Prisma } from '@app/database';
import { OutboxService } from '@app/outbox';
import { markFailing } from '../webhooks.sql.js';
import { DeliveryRows, type DueDelivery } from './delivery-rows.js';
import type { PostOutcome } from './http-post.js';
import { nextRetryDelay, parseRetryAfter } from './retry-schedule.js';

/** How an attempt ended, and what happens next. */
export type AttemptVerdict =
  { kind: 'succeeded' } | { kind: 'retry'; at: number; reason: string } | { kind: 'failed'; reason: string; disable?: string };

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
 * Records an attempt and its consequences: the verdict of `judgeAttempt`,
 * turned into a failure (and the endpoint disabled) once the endpoint has
 * been failing for longer than WEBHOOK_DISABLE_AFTER_SECONDS.
 */
@Injectable()
export class AttemptRecorder {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly rows: DeliveryRows,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  /** Judges the outcome, writes the attempt and its consequences atomically, and returns the final verdict. */
  async record(row: DueDelivery, startedAt: Date, outcome: PostOutcome): Promise<AttemptVerdict> {
    const judged = judgeAttempt(outcome, row.attemptCount + 1, this.config.webhooks.retryScheduleMs);
    if (judged.kind === 'succeeded') {
      // The common case: one statement, shared with the other attempts that end at the same time.
      await this.rows.succeeded({
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
      const verdict = await this.escalate(tx, row, judged);
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

  /** Marks the endpoint failing (since its first failure) and fails the verdict once that has lasted too long. */
  private async escalate(tx: Prisma.TransactionClient, row: DueDelivery, judged: AttemptVerdict): Promise<AttemptVerdict> {
    const [{ failingSince }] = await queryRows(tx, markFailing, [row.endpointId]);
    const limit = this.config.webhooks.disableAfterSeconds;
    if (judged.kind === 'succeeded' || (judged.kind === 'failed' && judged.disable)) return judged;
    if (Date.now() - failingSince.getTime() < limit * 1000) return judged;
    return {
      kind: 'failed',
      reason: `${judged.reason}; endpoint disabled`,
      disable: `failing continuously since ${failingSince.toISOString()} (over ${limit} s)`,
    };
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
}
