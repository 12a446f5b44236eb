import { Injectable } from '@nestjs/common';
import { PrismaService, queryRows } from '@app/database';
import { OutboxService } from '@app/outbox';
import { deleteExpired } from './correlation.sql.js';

const BATCH = 5_000;

/**
 * Deletes expired indicators. Expired records already stopped counting (every
 * holder count filters on expires_at); deleting them, and re-evaluating their
 * keys through the outbox in the same transaction, is what closes the alerts
 * they held up.
 */
@Injectable()
export class ExpiryService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
  ) {}

  /** Sweeps every expired record, a batch per transaction; returns how many were removed. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const removed = await this.prisma.$transaction(async (tx) => {
        const rows = await queryRows(tx, deleteExpired, [BATCH]);
        if (rows.length) {
          const unique = [...new Map(rows.map((r) => [`${r.type}|${r.keyEpoch}|${r.token}`, r])).values()];
          await this.outbox.publish(tx, 'indicators.removed', { keys: unique });
        }
        return rows.length;
      });
      total += removed;
      if (removed < BATCH) return total;
    }
  }
}
