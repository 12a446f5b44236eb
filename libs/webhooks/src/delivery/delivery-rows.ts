import { Injectable } from '@nestjs/common';
import { DeliveryStatus, PrismaService, type MemberStatus, type WebhookEndpointStatus } from '@app/database';
import { Batcher } from './batcher.js';

/** A delivery with what an attempt needs of its endpoint and member. */
export interface DueDelivery {
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
export interface SucceededAttempt {
  deliveryId: string;
  endpointId: string;
  attemptedAt: Date;
  statusCode: number;
  latencyMs: number;
  responseBody: string | null;
}

/**
 * Reads and writes of delivery rows on the hot path, batched: the calls of
 * a burst of deliveries made within one turn of the event loop share one
 * statement (see Batcher).
 */
@Injectable()
export class DeliveryRows {
  private readonly reads = new Batcher<string, DueDelivery | undefined>((ids) => this.readDue(ids));
  private readonly successes = new Batcher<SucceededAttempt, void>((done) => this.recordSucceeded(done));

  constructor(private readonly prisma: PrismaService) {}

  /** The delivery with what an attempt needs of its endpoint and member; undefined once deleted. */
  due(deliveryId: string): Promise<DueDelivery | undefined> {
    return this.reads.call(deliveryId);
  }

  /** Records a successful attempt: the attempt, its delivery done, its endpoint no longer failing. */
  succeeded(attempt: SucceededAttempt): Promise<void> {
    return this.successes.call(attempt);
  }

  /** Ends a pending delivery without an attempt (its endpoint disabled or its member suspended). */
  async endWithoutAttempt(row: DueDelivery): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({
      where: { id: row.id, status: DeliveryStatus.PENDING, round: row.round },
      data: { status: DeliveryStatus.FAILED, completedAt: new Date(), nextAttemptAt: null },
    });
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
}
