import { statement } from '@app/database';

/** Postgres channel the relay LISTENs on, so events leave within milliseconds of commit. */
export const OUTBOX_CHANNEL = 'sigfed_outbox';

/** The outbox's statements (plain node-postgres). */
/** Records one event and wakes the relay on commit ($1 topic, $2 payload JSON). */
export const publish = statement<[topic: string, payload: string], { id: string }>(
  'outbox.publish',
  `WITH event AS (INSERT INTO outbox_events (topic, payload) VALUES ($1, $2::jsonb) RETURNING id)
   SELECT event.id::text AS id FROM event, pg_notify('${OUTBOX_CHANNEL}', '')`,
);
/**
 * Records one event whose consumers its writer runs itself right after
 * commit (`EventConsumers.runNow`): written as relayed, without a NOTIFY,
 * and dated so that the relay takes it up only if it is still unprocessed
 * $3 seconds from now ($4 is OUTBOX_REDELIVER_AFTER_SECONDS): the writer
 * died before running them, or a consumer's job was lost.
 */
export const publishClaimed = statement<
  [topic: string, payload: string, dueInSeconds: number, redeliverAfterSeconds: number],
  { id: string }
>(
  'outbox.publishClaimed',
  `INSERT INTO outbox_events (topic, payload, relayed_at, relay_count)
   VALUES ($1, $2::jsonb, now() - make_interval(secs => $4::int) + make_interval(secs => $3::int), 1)
   RETURNING id::text AS id`,
);
/**
 * Records that one consumer's job finished; the row is processed once every
 * consumer of its topic ($3) has. Concurrent consumers of one row queue on
 * its lock and each sees the other's entry.
 */
export const consumed = statement<[outboxId: string, consumer: string, consumers: string[]], Record<string, never>>(
  'outbox.consumed',
  `UPDATE outbox_events
      SET consumers_done = array_append(COALESCE(consumers_done, '{}'), $2::text),
          processed_at = CASE WHEN $3::text[] <@ array_append(COALESCE(consumers_done, '{}'), $2::text) THEN now() END
    WHERE id = $1::bigint AND processed_at IS NULL AND NOT ($2::text = ANY(COALESCE(consumers_done, '{}')))`,
);
