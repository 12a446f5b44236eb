import { statement } from '@app/database';
import type { EventPayloads, EventTopic } from './events.js';

/** Postgres channel the relay LISTENs on, so events leave within milliseconds of commit. */
export const OUTBOX_CHANNEL = 'sigfed_outbox';

/** `LISTEN` on the relay's own connection (a utility command: it cannot be prepared, so it is no statement). */
export const LISTEN_OUTBOX = `LISTEN ${OUTBOX_CHANNEL}`;

/** The NOTIFY that wakes the relay on commit, for the final FROM of a statement that records an event. */
const NOTIFY = `pg_notify('${OUTBOX_CHANNEL}', '')`;

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
    insert: `INSERT INTO outbox_events (topic, payload) VALUES (${topicParam}, ${payloadParam}::jsonb) RETURNING id`,
    notify: NOTIFY,
    values: (payload) => [topic, JSON.stringify(payload)],
  };
}

/** Records one event and wakes the relay on commit ($1 topic, $2 payload JSON). */
export const publish = statement<[topic: string, payload: string], { id: string }>(
  'outbox.publish',
  `WITH event AS (INSERT INTO outbox_events (topic, payload) VALUES ($1, $2::jsonb) RETURNING id)
   SELECT event.id::text AS id FROM event, ${NOTIFY}`,
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
 * Records that consumers' jobs finished ($2: the inline consumers of one
 * event that succeeded, or one job's consumer); the row is processed once
 * every consumer of its topic ($3) has. Concurrent consumers of one row queue
 * on its lock and each sees the other's entries; one already recorded is not
 * recorded twice.
 */
export const consumed = statement<[outboxId: string, finished: string[], consumers: string[]], Record<string, never>>(
  'outbox.consumed',
  `UPDATE outbox_events
      SET consumers_done = COALESCE(consumers_done, '{}')
                           || ARRAY(SELECT DISTINCT c FROM unnest($2::text[]) AS c WHERE NOT (c = ANY(COALESCE(consumers_done, '{}')))),
          processed_at = CASE WHEN $3::text[] <@ (COALESCE(consumers_done, '{}') || $2::text[]) THEN now() END
    WHERE id = $1::bigint AND processed_at IS NULL AND NOT ($2::text[] <@ COALESCE(consumers_done, '{}'))`,
);

/** A relayed row: its consumers that finished are in `consumers_done`. */
export interface DueEventRow {
  /** The row's bigint id as text (node-postgres reads int8 as a string). */
  id: string;
  topic: string;
  payload: unknown;
  relay_count: number;
  consumers_done: string[];
}

/**
 * Takes up to $2 rows the relay owes the queue: never relayed, or relayed
 * more than $1 seconds ago (OUTBOX_REDELIVER_AFTER_SECONDS) and still not
 * processed. Rows another relay holds are skipped. They are marked relayed
 * in the same statement and stay locked until the relay's transaction ends:
 * it commits once their jobs are queued, and rolls back (leaving them due)
 * when queueing fails. `relay_count` is the count before this relay.
 */
export const claimDue = statement<[redeliverAfterSeconds: number, limit: number], DueEventRow>(
  'outbox.claimDue',
  `WITH claimed AS (
     UPDATE outbox_events o SET relayed_at = now(), relay_count = o.relay_count + 1
       FROM (SELECT id FROM outbox_events
              WHERE processed_at IS NULL
                AND (relayed_at IS NULL OR relayed_at < now() - make_interval(secs => $1::int))
              ORDER BY id
              LIMIT $2
                FOR UPDATE SKIP LOCKED) AS due
      WHERE o.id = due.id
     RETURNING o.id, o.topic, o.payload, o.relay_count - 1 AS relay_count, COALESCE(o.consumers_done, '{}') AS consumers_done
   )
   SELECT id::text AS id, topic, payload, relay_count, consumers_done FROM claimed ORDER BY claimed.id`,
);

/** Marks claimed rows $1 processed: they have no consumer left to run. */
export const markIdle = statement<[ids: string[]]>(
  'outbox.markIdle',
  `UPDATE outbox_events SET processed_at = now() WHERE id = ANY($1::bigint[])`,
);

/** Deletes rows processed more than $1 hours ago. */
export const deleteProcessed = statement<[retentionHours: number]>(
  'outbox.deleteProcessed',
  `DELETE FROM outbox_events WHERE processed_at < now() - make_interval(hours => $1::int)`,
);
