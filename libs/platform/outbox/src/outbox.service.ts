import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { queryRows, pgRows, type Prisma, type SqlClient } from '@app/database';
import type { EventPayloads, EventTopic } from './events.js';
import * as outboxSql from './outbox.sql.js';

/** How long an inline event waits for its writer to run its consumers before the relay takes it up. */
const INLINE_GRACE_SECONDS = 30;

/**
 * Writes events in the caller's transaction: if the change commits, the event
 * exists and will be handled; if it rolls back, the event never existed.
 */
@Injectable()
export class OutboxService {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Records one event; returns its id. Call it with the `tx` of the change it announces. */
  async publish<T extends EventTopic>(tx: Prisma.TransactionClient, topic: T, payload: EventPayloads[T]): Promise<bigint> {
    const [row] = await queryRows(tx, outboxSql.publish, [topic, JSON.stringify(payload)]);
    return BigInt(row.id);
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
      ? await pgRows(db, outboxSql.publishClaimed, [topic, json, Math.min(INLINE_GRACE_SECONDS, redeliver), redeliver])
      : await pgRows(db, outboxSql.publish, [topic, json]);
    return BigInt(row.id);
  }
}
