import { Injectable } from '@nestjs/common';
import { PrismaService } from '@app/database';
import { OutboxService } from '@app/outbox';
import type { TokenKey } from './correlation.types.js';

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
        const rows = await tx.$queryRaw<TokenKey[]>`
          DELETE FROM indicators
           WHERE ctid = ANY(ARRAY(
                   SELECT ctid FROM indicators WHERE expires_at <= now()
                    LIMIT ${BATCH} FOR UPDATE SKIP LOCKED))
          RETURNING type, key_epoch AS "keyEpoch", encode(token, 'hex') AS token`;
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
