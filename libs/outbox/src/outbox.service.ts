import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { runStatement, type Prisma, type SqlClient } from '@app/database';
import type { EventPayloads, EventTopic } from './events.js';
import * as outboxSql from './outbox.sql.js';
import { OUTBOX_CHANNEL } from './outbox.sql.js';

export { OUTBOX_CHANNEL };

const NOTIFY = `pg_notify('${OUTBOX_CHANNEL}', '')`;

function eventInsert(topicParam: string, payloadParam: string): string {
  return `INSERT INTO outbox_events (topic, payload) VALUES (${topicParam}, ${payloadParam}::jsonb) RETURNING id`;
}

/** The outbox insert of a hot-path statement for one topic (see `outboxEventSql`). */
export interface OutboxEventSql<T extends EventTopic> {
  /** `INSERT ... RETURNING id`, for a CTE. */
  readonly insert: string;
  /** `pg_notify(...)`, for the final FROM. */
  readonly notify: string;
  /** The values of the topic and payload placeholders, in that order: spread them into the statement's values. */
  values(payload: EventPayloads[T]): [T, string];
}

/**
 * The outbox insert of a hot-path statement that records its event itself
 * (plain node-postgres, one round trip for the change and its event), for
 * `topic`, given the placeholders its topic and JSON payload take: use
 * `insert` as a CTE, put `notify` in the final FROM (as `publish` does), and
 * pass `values(payload)` at those placeholders; the payload is checked
 * against the event map.
 */
export function outboxEventSql<T extends EventTopic>(topic: T, topicParam: string, payloadParam: string): OutboxEventSql<T> {
  return {
    insert: eventInsert(topicParam, payloadParam),
    notify: NOTIFY,
    values: (payload) => [topic, JSON.stringify(payload)],
  };
}

/**
 * Writes events in the caller's transaction: if the change commits, the event
 * exists and will be handled; if it rolls back, the event never existed.
 */
/** How long an inline event waits for its writer to run its consumers before the relay takes it up. */
const INLINE_GRACE_SECONDS = 30;

@Injectable()
export class OutboxService {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Records one event; returns its id. Call it with the `tx` of the change it announces. */
  async publish<T extends EventTopic>(tx: Prisma.TransactionClient, topic: T, payload: EventPayloads[T]): Promise<bigint> {
    const rows = await tx.$queryRaw<{ id: bigint }[]>`
      WITH event AS (
        INSERT INTO outbox_events (topic, payload) VALUES (${topic}, ${JSON.stringify(payload)}::jsonb)
        RETURNING id
      )
      SELECT event.id FROM event, pg_notify(${OUTBOX_CHANNEL}, '')`;
    return rows[0].id;
  }

  /**
   * `publish` on a plain node-postgres connection inside the caller's
   * transaction (`sqlAsMember`, `sqlTransaction`). With `inline`, the
   * caller runs the consumers itself once the transaction has committed
   * (`EventConsumers.runNow`, worker role): the row is written as relayed,
   * so the relay takes it up only if it is still unprocessed after 30 s
   * (or OUTBOX_REDELIVER_AFTER_SECONDS, if shorter): the writer died before
   * running them.
   */
  async publishSql<T extends EventTopic>(
    db: SqlClient,
    topic: T,
    payload: EventPayloads[T],
    options: { inline?: boolean } = {},
  ): Promise<bigint> {
    const json = JSON.stringify(payload);
    const redeliver = this.config.outbox.redeliverAfterSeconds;
    const [row] = options.inline
      ? await runStatement(db, outboxSql.publishClaimed, [topic, json, Math.min(INLINE_GRACE_SECONDS, redeliver), redeliver])
      : await runStatement(db, outboxSql.publish, [topic, json]);
    return BigInt(row.id);
  }
}
