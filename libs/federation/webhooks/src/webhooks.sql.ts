import { statement, type DeliveryStatus, type MemberStatus, type WebhookEndpointStatus } from '@app/database';
import type { WebhookDelivery, WebhookDeliveryAttempt } from './models/webhook-delivery.model.js';

/** What the queue needs to know of a delivery. */
export interface QueuedDelivery {
  id: string;
  endpointId: string;
  round: number;
  nextAttemptAt: Date | null;
}

/** Deliveries $1 still PENDING (the API created or restarted them). */
export const pendingDeliveries = statement<[deliveryIds: string[]], QueuedDelivery>(
  'webhooks.pendingDeliveries',
  `SELECT id, endpoint_id AS "endpointId", round, next_attempt_at AS "nextAttemptAt" FROM webhook_deliveries
    WHERE id = ANY($1::uuid[]) AND status = 'PENDING'`,
);

/** Up to $2 PENDING deliveries overdue by more than $1 seconds, the longest overdue first. */
export const overdueDeliveries = statement<[overdueSeconds: number, limit: number], QueuedDelivery>(
  'webhooks.overdueDeliveries',
  `SELECT id, endpoint_id AS "endpointId", round, next_attempt_at AS "nextAttemptAt" FROM webhook_deliveries
    WHERE status = 'PENDING'
      AND next_attempt_at < now() - make_interval(secs => $1)
    ORDER BY next_attempt_at
    LIMIT $2`,
);

/** An enabled endpoint of an active member, with the event types it takes. */
export interface TargetEndpoint {
  id: string;
  memberId: string;
  eventTypes: string[];
}

/** The enabled endpoints of members $1 that are active: where their alert changes go. */
export const targetEndpoints = statement<[memberIds: string[]], TargetEndpoint>(
  'webhooks.targetEndpoints',
  `SELECT e.id, e.member_id AS "memberId", e.event_types AS "eventTypes"
     FROM webhook_endpoints e JOIN members m ON m.id = e.member_id
    WHERE e.member_id = ANY($1::uuid[]) AND e.status = 'ENABLED' AND m.status = 'ACTIVE'`,
);

/** A delivery as its member sees it, with its exact created_at as text for the cursor. */
export type DeliveryRow = Omit<WebhookDelivery, 'attempts'> & { createdKey: string };

const SELECT_DELIVERY = `
  SELECT d.id, d.endpoint_id AS "endpointId", d.event_id AS "eventId", d.event_type AS "eventType", d.body,
         d.status, d.attempt_count AS "attemptCount", d.next_attempt_at AS "nextAttemptAt",
         d.last_attempt_at AS "lastAttemptAt", d.created_at AS "createdAt", d.completed_at AS "completedAt",
         d.created_at::text AS "createdKey"
    FROM webhook_deliveries d`;

/** The first $3 deliveries of endpoint $1, newest first; $2 the status, null for any. */
export const deliveriesPage = statement<[endpointId: string, status: DeliveryStatus | null, limit: number], DeliveryRow>(
  'webhooks.deliveriesPage',
  `${SELECT_DELIVERY}
    WHERE d.endpoint_id = $1::uuid AND ($2::"DeliveryStatus" IS NULL OR d.status = $2::"DeliveryStatus")
    ORDER BY d.created_at DESC, d.id DESC
    LIMIT $3`,
);

/** `deliveriesPage` after the cursor's delivery ($4 its created_at as text, $5 its id). */
export const deliveriesPageAfter = statement<
  [endpointId: string, status: DeliveryStatus | null, limit: number, created: string, id: string],
  DeliveryRow
>(
  'webhooks.deliveriesPageAfter',
  `${SELECT_DELIVERY}
    WHERE d.endpoint_id = $1::uuid AND ($2::"DeliveryStatus" IS NULL OR d.status = $2::"DeliveryStatus")
      AND (d.created_at, d.id) < ($4::timestamptz, $5::uuid)
    ORDER BY d.created_at DESC, d.id DESC
    LIMIT $3`,
);

/** One delivery, by id. */
export const deliveryById = statement<[id: string], DeliveryRow>('webhooks.deliveryById', `${SELECT_DELIVERY} WHERE d.id = $1::uuid`);

/** The latest $2 attempts of each of deliveries $1, newest first. */
export const latestAttempts = statement<[deliveryIds: string[], perDelivery: number], WebhookDeliveryAttempt & { deliveryId: string }>(
  'webhooks.latestAttempts',
  `SELECT "deliveryId", "attemptedAt", "statusCode", "latencyMs", "responseBody", error FROM (
     SELECT delivery_id AS "deliveryId", attempted_at AS "attemptedAt", status_code AS "statusCode",
            latency_ms AS "latencyMs", response_body AS "responseBody", error,
            row_number() OVER (PARTITION BY delivery_id ORDER BY attempted_at DESC, id DESC) AS n
       FROM webhook_delivery_attempts WHERE delivery_id = ANY($1::uuid[])) ranked
    WHERE n <= $2
    ORDER BY "attemptedAt" DESC`,
);

/** Locks delivery $1 of member $2's endpoint, with its status and its endpoint's. */
export const lockDelivery = statement<
  [deliveryId: string, memberId: string],
  { status: DeliveryStatus; endpointStatus: WebhookEndpointStatus }
>(
  'webhooks.lockDelivery',
  `SELECT d.status, e.status AS "endpointStatus"
     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
    WHERE d.id = $1::uuid AND e.member_id = $2::uuid
      FOR UPDATE OF d`,
);

/** Starts a new round of attempts of delivery $1, the first $2 seconds from now. */
export const restartDelivery = statement<[deliveryId: string, firstDelaySeconds: number]>(
  'webhooks.restartDelivery',
  `UPDATE webhook_deliveries
      SET status = 'PENDING', round = round + 1, attempt_count = 0, completed_at = NULL,
          next_attempt_at = now() + make_interval(secs => $2)
    WHERE id = $1::uuid`,
);

/** Locks member $1's row: serializes concurrent endpoint creations of one member, so the limit holds. */
export const lockMember = statement<[memberId: string], { id: string }>(
  'webhooks.lockMember',
  `SELECT id FROM members WHERE id = $1::uuid FOR UPDATE`,
);

/** Locks endpoint $1 if it is member $2's. */
export const lockEndpoint = statement<[endpointId: string, memberId: string], { id: string }>(
  'webhooks.lockEndpoint',
  `SELECT id FROM webhook_endpoints WHERE id = $1::uuid AND member_id = $2::uuid FOR UPDATE`,
);

/** Takes the transaction-scoped advisory lock $1 (webhook signing-key rotation). */
export const advisoryLock = statement<[key: number]>('webhooks.advisoryLock', `SELECT pg_advisory_xact_lock($1::bigint)`);

/** A delivery with what an attempt needs of its endpoint and member. */
export interface DueDelivery extends QueuedDelivery {
  status: DeliveryStatus;
  attemptCount: number;
  eventId: string;
  body: string;
  memberId: string;
  url: string;
  endpointStatus: WebhookEndpointStatus;
  memberStatus: MemberStatus;
  secretEncrypted: Uint8Array;
  previousSecretEncrypted: Uint8Array | null;
  previousSecretExpiresAt: Date | null;
  asymmetricSignature: boolean;
}

/** The columns of a `DueDelivery`, from a delivery `d`, its endpoint `e` and the endpoint's member `m`. */
const DUE_COLUMNS = `d.id, d.status::text AS status, d.round, d.attempt_count AS "attemptCount", d.next_attempt_at AS "nextAttemptAt",
          d.event_id AS "eventId", d.body, e.id AS "endpointId", e.member_id AS "memberId", e.url,
          e.status::text AS "endpointStatus", e.secret_encrypted AS "secretEncrypted",
          e.previous_secret_encrypted AS "previousSecretEncrypted",
          e.previous_secret_expires_at AS "previousSecretExpiresAt", e.asymmetric_signature AS "asymmetricSignature",
          m.status::text AS "memberStatus"`;

/** Deliveries $1 with their endpoints and members, read together for a burst of attempts. */
export const dueDeliveries = statement<[deliveryIds: string[]], DueDelivery>(
  'webhooks.dueDeliveries',
  `SELECT ${DUE_COLUMNS}
     FROM webhook_deliveries d
     JOIN webhook_endpoints e ON e.id = d.endpoint_id
     JOIN members m ON m.id = e.member_id
    WHERE d.id = ANY($1::uuid[])`,
);

/**
 * Creates the deliveries ($1 endpoints, $2 event ids, $3 event types, $4
 * bodies, first attempt $5 seconds from now) that do not exist yet, and
 * returns them with (a statement does not see its own inserts) those that
 * an earlier, interrupted run created but may not have queued, still PENDING;
 * each with what its first attempt needs (as `dueDeliveries` reads it), so
 * that an attempt started right after binding reads nothing more.
 */
export const bindDeliveries = statement<
  [endpointIds: string[], eventIds: string[], eventTypes: string[], bodies: string[], firstDelaySeconds: number],
  DueDelivery
>(
  'webhooks.bindDeliveries',
  `WITH wanted AS (
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS u(e, ev, t, b)
   ), created AS (
     INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, body, next_attempt_at)
     SELECT e, ev, t, b, now() + make_interval(secs => $5) FROM wanted
     ON CONFLICT (endpoint_id, event_id) DO NOTHING
     RETURNING id, endpoint_id, event_id, body, status, round, attempt_count, next_attempt_at
   ), bound AS (
     SELECT * FROM created
     UNION ALL
     SELECT o.id, o.endpoint_id, o.event_id, o.body, o.status, o.round, o.attempt_count, o.next_attempt_at
       FROM webhook_deliveries o JOIN wanted w ON o.endpoint_id = w.e AND o.event_id = w.ev
      WHERE o.status = 'PENDING'
   )
   SELECT ${DUE_COLUMNS}
     FROM bound d
     JOIN webhook_endpoints e ON e.id = d.endpoint_id
     JOIN members m ON m.id = e.member_id`,
);

/**
 * Successful attempts of a burst ($1 deliveries, $2 their endpoints, $3 when,
 * $4 status codes, $5 latencies, $6 response bodies), recorded together in
 * one statement (atomic by itself): each attempt, its delivery done, and its
 * endpoint no longer failing.
 */
export const recordSucceeded = statement<
  [
    deliveryIds: string[],
    endpointIds: string[],
    attemptedAt: string[],
    statusCodes: number[],
    latenciesMs: number[],
    responseBodies: (string | null)[],
  ]
>(
  'webhooks.recordSucceeded',
  `WITH u AS (
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::int[], $5::int[], $6::text[])
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
     FROM u WHERE d.id = u.delivery_id`,
);

/** Marks endpoint $1 failing from now, unless it is already; returns since when it is. */
export const markFailing = statement<[endpointId: string], { failingSince: Date }>(
  'webhooks.markFailing',
  `UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, now())
    WHERE id = $1::uuid RETURNING failing_since AS "failingSince"`,
);
