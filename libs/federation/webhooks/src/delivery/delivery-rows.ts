import { Injectable } from '@nestjs/common';
import { DeliveryStatus, pgQuery, pgRows, PrismaService } from '@app/database';
import { dueDeliveries, recordSucceeded, type DueDelivery } from '../webhooks.sql.js';
import { Batcher } from './batcher.js';

export type { DueDelivery };

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
 * statement (see Batcher), prepared on plain node-postgres (Prisma's raw
 * queries cost about half a millisecond of JavaScript each).
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
    const rows = await pgRows(this.prisma, dueDeliveries, [ids]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id));
  }

  /**
   * Successful attempts of a burst, recorded together in one statement
   * (atomic by itself): each attempt, its delivery done, and its endpoint no
   * longer failing.
   */
  private async recordSucceeded(done: SucceededAttempt[]): Promise<void[]> {
    await pgQuery(this.prisma, recordSucceeded, [
      done.map((d) => d.deliveryId),
      done.map((d) => d.endpointId),
      done.map((d) => d.attemptedAt.toISOString()),
      done.map((d) => d.statusCode),
      done.map((d) => d.latencyMs),
      done.map((d) => d.responseBody),
    ]);
    return done.map(() => undefined);
  }
}
