import { Injectable } from '@nestjs/common';
import type { Prisma, PrismaService } from '@app/database';

/** A Prisma client or the transaction client of `$transaction(async (tx) => ...)`. */
export type Db = PrismaService | Prisma.TransactionClient;

/** Postgres channel the relay LISTENs on, so events leave within milliseconds of commit. */
export const OUTBOX_CHANNEL = 'sigfed_outbox';

/**
 * The outbox insert for a hot-path statement that records its event itself
 * (plain node-postgres, one round trip for the change and its event), given
 * the placeholders of the topic and the JSON payload text: use `insert` as a
 * CTE and put `notify` in the final FROM, as `publish` does.
 */
export function outboxEventSql(topicParam: string, payloadParam: string): { insert: string; notify: string } {
  return {
    insert: `INSERT INTO outbox_events (topic, payload) VALUES (${topicParam}, ${payloadParam}::jsonb) RETURNING id`,
    notify: `pg_notify('${OUTBOX_CHANNEL}', '')`,
  };
}

/**
 * Writes events in the caller's transaction: if the change commits, the event
 * exists and will be handled; if it rolls back, the event never existed.
 */
@Injectable()
export class OutboxService {
  /** Records one event; returns its id. Call it with the `tx` of the change it announces. */
  async publish(db: Db, topic: string, payload: Record<string, unknown>): Promise<bigint> {
    // One round trip for both. The NOTIFY is delivered only on commit: it wakes the relay without polling.
    const rows = await db.$queryRaw<{ id: bigint }[]>`
      WITH event AS (
        INSERT INTO outbox_events (topic, payload) VALUES (${topic}, ${JSON.stringify(payload)}::jsonb)
        RETURNING id
      )
      SELECT event.id FROM event, pg_notify(${OUTBOX_CHANNEL}, '')`;
    return rows[0].id;
  }
}
