import { statement, type IndicatorType } from '@app/database';
import { outboxEventSql } from '@app/outbox';
import type { MemberActivity } from './models/member-activity.model.js';

/** What the claim reads of the submission and its member. */
export interface SubmissionClaim {
  id: string | null;
  quota: number | null;
  throttledSince: Date | null;
  liftedAt: Date | null;
  unknownEpochs: string[] | null;
}

/**
 * Claims the idempotency key in `table` (a concurrent retry waits here on the
 * first one's row, then finds it taken), reads the member's own quota and
 * probing throttle, and names the batch's epoch labels ($4) that are not key
 * epochs of the federation once it has any (null when all are known, or it
 * has none), in one round trip. `id` is null when the key was taken. Shared
 * by every submission's table (submissions, template_signature_submissions).
 */
export function claimSubmissionSql(table: string): string {
  return `
  WITH claimed AS (
    INSERT INTO ${table} (member_id, idempotency_key, request_hash, accepted, duplicates)
    VALUES ($1::uuid, $2, $3, 0, 0)
    ON CONFLICT (member_id, idempotency_key) DO NOTHING
    RETURNING id
  )
  SELECT (SELECT id FROM claimed) AS id, m.indicators_per_hour AS quota,
         m.probing_throttled_since AS "throttledSince", m.probing_throttle_lifted_at AS "liftedAt",
         (SELECT array_agg(e.label) FROM unnest($4::text[]) AS e(label)
           WHERE EXISTS (SELECT 1 FROM key_epochs)
             AND NOT EXISTS (SELECT 1 FROM key_epochs k WHERE k.label = e.label)) AS "unknownEpochs"
    FROM (SELECT 1) one LEFT JOIN members m ON m.id = $1::uuid`;
}

/** The first submission in `table` under member $1's idempotency key $2, for a replay. */
export function submissionByKeySql(table: string): string {
  return `SELECT id, request_hash, accepted, duplicates FROM ${table} WHERE member_id = $1::uuid AND idempotency_key = $2`;
}

/** Claims a submitIndicators key (claimSubmissionSql). */
export const claimSubmission = statement<
  [memberId: string, idempotencyKey: string, requestHash: Buffer, epochs: string[]],
  SubmissionClaim
>('indicators.claimSubmission', claimSubmissionSql('submissions'));

/** The first submission under member $1's idempotency key $2, for a replay. */
export const submissionByKey = statement<
  [memberId: string, idempotencyKey: string],
  { id: string; request_hash: Buffer; accepted: number; duplicates: number }
>('indicators.submissionByKey', submissionByKeySql('submissions'));

/**
 * How a stored record takes a new submission of its token: the rules the
 * benchmark's baseline upsert shares (bench/ingest.ts imports this text, so
 * the two cannot drift apart).
 */
export const INDICATOR_UPSERT_CONFLICT = `ON CONFLICT (key_space, token, member_no) DO UPDATE SET
  confidence = EXCLUDED.confidence,
  observed_at = GREATEST(i.observed_at, EXCLUDED.observed_at),
  first_seen_at = CASE WHEN i.expires_at <= now() THEN now() ELSE i.first_seen_at END,
  last_seen_at = now(),
  expires_at = EXCLUDED.expires_at,
  external_ref = COALESCE(NULLIF(EXCLUDED.external_ref, ''), i.external_ref),
  disclose_identity = EXCLUDED.disclose_identity,
  submission_id = EXCLUDED.submission_id`;

/**
 * CTEs that give `spaces` (id, type, key_epoch): the key space of every
 * (type, key_epoch) in `input`, adding the missing ones. Only pairs not
 * already there are offered to the insert, so the identity is
 * spent once per new pair; DO UPDATE (not DO NOTHING) returns a pair that a
 * concurrent transaction added after this statement's snapshot.
 */
export const KEY_SPACES_CTE = `wanted AS (SELECT DISTINCT type, key_epoch FROM input),
  known AS (
    SELECT k.id, k.type, k.key_epoch FROM key_spaces k JOIN wanted w ON k.type = w.type AND k.key_epoch = w.key_epoch
  ),
  added AS (
    INSERT INTO key_spaces AS k (type, key_epoch)
    SELECT w.type, w.key_epoch FROM wanted w
     WHERE NOT EXISTS (SELECT 1 FROM known n WHERE n.type = w.type AND n.key_epoch = w.key_epoch)
    ON CONFLICT (type, key_epoch) DO UPDATE SET type = EXCLUDED.type
    RETURNING k.id, k.type, k.key_epoch
  ),
  spaces AS (SELECT id, type, key_epoch FROM known UNION ALL SELECT id, type, key_epoch FROM added)`;

/** The `indicators.submitted` event that storeSubmission writes at $12 and $13. */
export const submittedEvent = outboxEventSql('indicators.submitted', '$12', '$13');

/**
 * Upserts every item, records the counts on the submission and publishes
 * `indicators.submitted`: one statement. The count of prior active records
 * comes from the upsert's RETURNING: exactly the rows that keep an earlier
 * first_seen_at (a new row, or an expired one renewed, gets now()). Reading
 * the prior rows in a separate join cost a second lookup per item, and the
 * planner chose a sequential scan of the whole table for it. (A record
 * stored by a transaction that began in the very same microsecond would
 * count as new: harmless for a count.) $10, the external references, is a
 * text[] or null when no item has one.
 */
export const storeSubmission = statement<
  [
    memberId: string,
    submissionId: string,
    types: string,
    epochs: string,
    tokens: string,
    observed: string,
    expires: string,
    confidence: string,
    disclose: string,
    externalRefs: (string | null)[] | null,
    sent: number,
    topic: 'indicators.submitted',
    payload: string,
  ],
  { accepted: number; duplicates: number }
>(
  'indicators.storeSubmission',
  `
  WITH input AS (
    SELECT t.type::"IndicatorType" AS type, t.key_epoch, decode(t.token_hex, 'hex') AS token,
           t.observed_at::timestamptz AS observed_at, t.expires_at::timestamptz AS expires_at,
           t.confidence::int AS confidence, t.disclose::boolean AS disclose_identity, t.external_ref
      FROM unnest(
        string_to_array($3, ','), string_to_array($4, ','), string_to_array($5, ','), string_to_array($6, ','),
        string_to_array($7, ','), string_to_array($8, ','), string_to_array($9, ','), $10::text[]
      ) AS t(type, key_epoch, token_hex, observed_at, expires_at, confidence, disclose, external_ref)
  ),
  ${KEY_SPACES_CTE},
  upserted AS (
    INSERT INTO indicators AS i (key_space, token, member_no, confidence, observed_at, first_seen_at,
                                 last_seen_at, expires_at, external_ref, disclose_identity, submission_id)
    SELECT s.id, n.token, (SELECT member_no FROM members WHERE id = $1::uuid), n.confidence, n.observed_at, now(), now(),
           n.expires_at, COALESCE(n.external_ref, ''), n.disclose_identity, $2::uuid
      FROM input n JOIN spaces s ON s.type = n.type AND s.key_epoch = n.key_epoch
    ${INDICATOR_UPSERT_CONFLICT}
    RETURNING first_seen_at
  ),
  counted AS (
    SELECT (SELECT count(*) FROM input)::int - count(*) FILTER (WHERE first_seen_at <> now())::int AS accepted FROM upserted
  ),
  recorded AS (
    UPDATE submissions s SET accepted = c.accepted, duplicates = $11::int - c.accepted
      FROM counted c
     WHERE s.id = $2::uuid
    RETURNING s.accepted, s.duplicates
  ),
  event AS (${submittedEvent.insert})
  SELECT recorded.accepted, recorded.duplicates FROM recorded, event, ${submittedEvent.notify}`,
);

/**
 * Deletes the scoped member's own records of tokens $3 (type $1, epoch $2); a
 * function, so that the lookup can use the primary key, which row-level
 * security keeps the API's role from using (row_level_security migration).
 */
export const retractOwn = statement<[type: IndicatorType, keyEpoch: string, tokens: string[]], { token: string }>(
  'indicators.retractOwn',
  `SELECT retracted AS token FROM retract_own_indicators($1::"IndicatorType", $2, $3::text[])`,
);

/** A member's probing throttle as stored. */
export interface ThrottleRow {
  memberId: string;
  since: Date | null;
  reason: string | null;
  liftedAt: Date | null;
  liftedBy: string | null;
}

/** Lifts member $2's probing throttle by admin $1; no row when it is not throttled. Returns the throttle it lifted too. */
export const liftThrottle = statement<
  [adminId: string, memberId: string],
  ThrottleRow & { liftedSince: Date; liftedReason: string | null }
>(
  'indicators.liftThrottle',
  `UPDATE members m SET probing_throttled_since = NULL, probing_throttle_reason = NULL,
                        probing_throttle_lifted_at = now(), probing_throttle_lifted_by = $1::uuid
     FROM members old
    WHERE m.id = $2::uuid AND old.id = m.id AND m.probing_throttled_since IS NOT NULL
   RETURNING m.id AS "memberId", m.probing_throttled_since AS since, m.probing_throttle_reason AS reason,
             m.probing_throttle_lifted_at AS "liftedAt", m.probing_throttle_lifted_by AS "liftedBy",
             old.probing_throttled_since AS "liftedSince", old.probing_throttle_reason AS "liftedReason"`,
);

/** Throttles member $1 for probing, for reason $2; no row when it is throttled already. */
export const throttleMember = statement<[memberId: string, reason: string], { clientId: string; name: string; since: Date }>(
  'indicators.throttleMember',
  `UPDATE members SET probing_throttled_since = now(), probing_throttle_reason = $2,
                      probing_throttle_lifted_at = NULL, probing_throttle_lifted_by = NULL
    WHERE id = $1::uuid AND probing_throttled_since IS NULL
   RETURNING client_id AS "clientId", name, probing_throttled_since AS since`,
);

/** What memberActivity reads of each member. */
export type ActivityRow = Omit<MemberActivity, 'newShare' | 'alertsPerThousand' | 'probing' | 'throttled'>;

/**
 * Every member active in the last $1 hours or throttled for probing, busiest
 * first. The counts cross members: they come from `member_activity_counts`,
 * which answers an active admin's transaction only.
 */
export const memberActivity = statement<[windowHours: number], ActivityRow>(
  'indicators.memberActivity',
  `SELECT m.id AS "memberId", m.name, m.client_id AS "clientId",
          COALESCE(c.submissions, 0) AS submissions, COALESCE(c.indicators, 0) AS indicators,
          COALESCE(c.new_indicators, 0) AS "newIndicators", COALESCE(c.alerts, 0) AS "alertsCreated",
          m.probing_throttled_since AS "throttledSince", m.probing_throttle_reason AS "throttleReason"
     FROM members m
     LEFT JOIN member_activity_counts(now() - make_interval(hours => $1)) c ON c.member_id = m.id
    WHERE c.member_id IS NOT NULL OR m.probing_throttled_since IS NOT NULL
    ORDER BY indicators DESC, m.id`,
);

/** The counts an extension's work gives its submission ($1 submission, $2 accepted, $3 duplicates). */
export const recountSubmission = statement<[submissionId: string, accepted: number, duplicates: number]>(
  'indicators.recountSubmission',
  'UPDATE submissions SET accepted = $2::int, duplicates = $3::int WHERE id = $1::uuid',
);
