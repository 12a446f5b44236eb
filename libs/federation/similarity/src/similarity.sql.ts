import { statement } from '@app/database';
import { claimSubmissionSql, submissionByKeySql, type SubmissionClaim, type SubmissionReplayRow } from '@app/indicators';
import { outboxEventSql } from '@app/outbox';

/*
 * Every statement of similar template signatures, by the area it serves: the
 * API's submission and retraction (run prepared on node-postgres inside the
 * member's transaction), and the worker's judging of signatures against the
 * other members' (run through Prisma's raw queries in its transactions).
 */

/** Claims a submitTemplateSignatures key: the same claim as submitIndicators' (claimSubmissionSql), over this table. */
export const CLAIM = statement<[memberId: string, idempotencyKey: string, requestHash: Buffer, epochs: string[]], SubmissionClaim>(
  'similarity.claim',
  claimSubmissionSql('template_signature_submissions'),
);

/** The first result of an idempotency key ($1 member, $2 key). */
export const REPLAY = statement<[memberId: string, idempotencyKey: string], SubmissionReplayRow>(
  'similarity.replay',
  submissionByKeySql('template_signature_submissions'),
);

/** The `template_signatures.submitted` event STORE writes at $11 and $12. */
export const STORED_EVENT = outboxEventSql('template_signatures.submitted', '$11', '$12');

/**
 * Upserts every signature by (member, epoch, digest), inserts the band
 * tokens of the new ones (a digest fixes its bands, so a refreshed one has
 * them already; Postgres runs every data-modifying CTE), records the counts and publishes
 * `template_signatures.submitted`: one statement. Columns travel as one
 * comma-separated string each; $9 holds each signature's 32 band tokens as
 * 2,048 hex characters; $10 the external references, or null when none has one.
 */
export const STORE = statement<
  [
    memberId: string,
    submissionId: string,
    epochs: string,
    digests: string,
    observed: string,
    expires: string,
    confidence: string,
    disclose: string,
    bands: string,
    refs: (string | null)[] | null,
    topic: 'template_signatures.submitted',
    payload: string,
    sent: number,
  ],
  { accepted: number; duplicates: number }
>(
  'similarity.store',
  `
  WITH input AS (
    SELECT t.key_epoch, decode(t.digest_hex, 'hex') AS digest, t.observed_at::timestamptz AS observed_at,
           t.expires_at::timestamptz AS expires_at, t.confidence::int AS confidence, t.disclose::boolean AS disclose_identity,
           t.bands_hex, t.external_ref
      FROM unnest(
        string_to_array($3, ','), string_to_array($4, ','), string_to_array($5, ','), string_to_array($6, ','),
        string_to_array($7, ','), string_to_array($8, ','), string_to_array($9, ','), $10::text[]
      ) AS t(key_epoch, digest_hex, observed_at, expires_at, confidence, disclose, bands_hex, external_ref)
  ),
  upserted AS (
    INSERT INTO template_signatures AS s (member_id, submission_id, key_epoch, digest, observed_at, first_seen_at,
                                          last_seen_at, expires_at, confidence, disclose_identity, external_ref)
    SELECT $1::uuid, $2::uuid, key_epoch, digest, observed_at, now(), now(), expires_at, confidence, disclose_identity, external_ref
      FROM input
    ON CONFLICT (member_id, key_epoch, digest) DO UPDATE SET
      confidence = EXCLUDED.confidence,
      observed_at = GREATEST(s.observed_at, EXCLUDED.observed_at),
      first_seen_at = CASE WHEN s.expires_at <= now() THEN now() ELSE s.first_seen_at END,
      last_seen_at = now(),
      expires_at = EXCLUDED.expires_at,
      external_ref = COALESCE(EXCLUDED.external_ref, s.external_ref),
      disclose_identity = EXCLUDED.disclose_identity,
      submission_id = EXCLUDED.submission_id
    RETURNING s.id, s.key_epoch, s.digest, s.first_seen_at, (s.xmax = 0) AS inserted
  ),
  banded AS (
    INSERT INTO template_signature_bands (key_epoch, token, signature_id, member_id, band)
    SELECT u.key_epoch, decode(substr(i.bands_hex, g.band * 64 + 1, 64), 'hex'), u.id, $1::uuid, g.band
      FROM upserted u
      JOIN input i ON i.key_epoch = u.key_epoch AND i.digest = u.digest
     CROSS JOIN generate_series(0, 31) AS g(band)
     WHERE u.inserted
    ON CONFLICT DO NOTHING
  ),
  counted AS (
    SELECT count(*) FILTER (WHERE first_seen_at = now())::int AS accepted FROM upserted
  ),
  recorded AS (
    UPDATE template_signature_submissions s SET accepted = c.accepted, duplicates = $13::int - c.accepted
      FROM counted c
     WHERE s.id = $2::uuid
    RETURNING s.accepted, s.duplicates
  ),
  event AS (${STORED_EVENT.insert})
  SELECT recorded.accepted, recorded.duplicates FROM recorded, event, ${STORED_EVENT.notify}`,
);

/**
 * retractTemplateSignatures: the member's live signatures with these
 * external references stop counting now (expires_at = now()); the worker
 * re-judges their neighbours and then deletes them.
 */
export const RETRACT = statement<[memberId: string, externalRefs: string[]], { id: string }>(
  'similarity.retract',
  `UPDATE template_signatures SET expires_at = now(), last_seen_at = now()
    WHERE member_id = $1::uuid AND external_ref = ANY($2::text[]) AND expires_at > now()
   RETURNING id`,
);

/** The `template_signatures.removed` event PUBLISH_REMOVED writes at $1 and $2. */
export const REMOVED_EVENT = outboxEventSql('template_signatures.removed', '$1', '$2');
/** Publishes `template_signatures.removed` ($1 topic, $2 payload). */
export const PUBLISH_REMOVED = statement<[topic: 'template_signatures.removed', payload: string], { id: string }>(
  'similarity.publishRemoved',
  `WITH event AS (${REMOVED_EVENT.insert}) SELECT event.id FROM event, ${REMOVED_EVENT.notify}`,
);

// ---------------------------------------------------------------------------
// Worker
// ---------------------------------------------------------------------------

/** The live signatures a submission stored or refreshed (and no later submission took over). */
export const SIGNATURES_OF_SUBMISSION = statement<[submissionId: string], { id: string }>(
  'similarity.signaturesOfSubmission',
  `SELECT id FROM template_signatures WHERE submission_id = $1::uuid AND expires_at > now()`,
);

/** A member's unexpired signatures: what its suspension or reinstatement changes. */
export const SIGNATURES_OF_MEMBER = statement<[memberId: string], { id: string }>(
  'similarity.signaturesOfMember',
  `SELECT id FROM template_signatures WHERE member_id = $1::uuid AND expires_at > now()`,
);

/** One pair found by SIMILAR_SIGNATURES. */
export interface SimilarPairRow {
  signatureId: string;
  otherId: string;
  otherMemberId: string;
  shared: number;
}

/**
 * For each signature in $1, the live signatures of other active members
 * that share at least $3 usable band tokens with it, and how many.
 *
 * This is the one place where band tokens are filtered (the `usable` CTE):
 * a band token counts unless an admin suppressed it (suppressed_tokens,
 * type PROMPT_TEMPLATE) or more than $2 live signatures hold it
 * (boilerplate, SIMILARITY_MAX_BAND_HOLDERS), or it is quarantined
 * (quarantined_tokens, type PROMPT_TEMPLATE).
 *
 * Cost: per signature, 32 probes of the bands' primary key (epoch, token),
 * each reading at most $2 + 1 live holders once (`held`: the holders are
 * both counted and returned), and a primary-key lookup per holder: flat in
 * the number of stored signatures but for the B-tree's depth.
 */
export const SIMILAR_SIGNATURES = statement<[signatureIds: string[], maxBandHolders: number, minSharedBands: number], SimilarPairRow>(
  'similarity.similarSignatures',
  `
  WITH own AS (
    SELECT b.signature_id, b.member_id, b.key_epoch, b.token
      FROM template_signature_bands b
     WHERE b.signature_id = ANY($1::uuid[])
  ),
  held AS (
    SELECT own.signature_id, own.member_id, own.key_epoch, own.token, h.holder_id, h.holder_member,
           count(*) OVER (PARTITION BY own.signature_id, own.token) AS holders
      FROM own
     CROSS JOIN LATERAL (
           SELECT hb.signature_id AS holder_id, hs.member_id AS holder_member
             FROM template_signature_bands hb JOIN template_signatures hs ON hs.id = hb.signature_id
            WHERE hb.key_epoch = own.key_epoch AND hb.token = own.token AND hs.expires_at > now()
            LIMIT $2::int + 1) AS h
  ),
  usable AS (
    SELECT held.* FROM held
     WHERE held.holders <= $2::int
       AND NOT EXISTS (SELECT 1 FROM suppressed_tokens s
                        WHERE s.type = 'PROMPT_TEMPLATE' AND s.key_epoch = held.key_epoch AND s.token = held.token)
       AND NOT EXISTS (SELECT 1 FROM quarantined_tokens q
                        WHERE q.type = 'PROMPT_TEMPLATE' AND q.key_epoch = held.key_epoch AND q.token = held.token)
  )
  SELECT u.signature_id AS "signatureId", u.holder_id AS "otherId", u.holder_member AS "otherMemberId", count(*)::int AS shared
    FROM usable u
    JOIN members om ON om.id = u.holder_member AND om.status = 'ACTIVE'
   WHERE u.holder_member <> u.member_id
   GROUP BY 1, 2, 3
  HAVING count(*) >= $3::int`,
);

/**
 * The signatures holding a band token of $1 whose live holder count sits at
 * the boilerplate boundary ($2 or $2 + 1): a submission or removal may just
 * have tipped it, changing what every holder shares.
 */
export const BOUNDARY_HOLDERS = statement<[signatureIds: string[], maxBandHolders: number], { id: string }>(
  'similarity.boundaryHolders',
  `
  WITH own AS (
    SELECT DISTINCT key_epoch, token FROM template_signature_bands WHERE signature_id = ANY($1::uuid[])
  ),
  edge AS (
    SELECT own.* FROM own
     WHERE (SELECT count(*) FROM (
              SELECT 1 FROM template_signature_bands h JOIN template_signatures hs ON hs.id = h.signature_id
               WHERE h.key_epoch = own.key_epoch AND h.token = own.token AND hs.expires_at > now()
               LIMIT $2::int + 2) AS held) BETWEEN $2::int AND $2::int + 1
  )
  SELECT DISTINCT h.signature_id AS id
    FROM edge JOIN template_signature_bands h ON h.key_epoch = edge.key_epoch AND h.token = edge.token`,
);

/** The live signatures holding any of these band tokens ($1 epoch, $2 hex tokens): what a suppression change touches. */
export const HOLDERS_OF_BANDS = statement<[keyEpoch: string, tokens: string[]], { id: string }>(
  'similarity.holdersOfBands',
  `SELECT DISTINCT h.signature_id AS id
     FROM template_signature_bands h JOIN template_signatures s ON s.id = h.signature_id
    WHERE h.key_epoch = $1 AND h.token = ANY(ARRAY(SELECT decode(t, 'hex') FROM unnest($2::text[]) AS t))
      AND s.expires_at > now()`,
);

/** A signature's state as judging needs it. */
export interface SignatureRow {
  id: string;
  memberId: string;
  keyEpoch: string;
  digest: string;
  live: boolean;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** The signatures in $1, live meaning unexpired, of an active member and under an epoch not retired. */
export const SIGNATURES = statement<[signatureIds: string[]], SignatureRow>(
  'similarity.signatures',
  `SELECT s.id, s.member_id AS "memberId", s.key_epoch AS "keyEpoch", encode(s.digest, 'hex') AS digest,
          (s.expires_at > now() AND m.status = 'ACTIVE'
           AND NOT EXISTS (SELECT 1 FROM key_epochs k WHERE k.label = s.key_epoch AND k.retired_at IS NOT NULL)) AS live,
          s.first_seen_at AS "firstSeenAt", s.last_seen_at AS "lastSeenAt"
     FROM template_signatures s JOIN members m ON m.id = s.member_id
    WHERE s.id = ANY($1::uuid[])`,
);

/** The signatures in $1 that already have a similar match (whatever its state). */
export const WITH_MATCH = statement<[signatureIds: string[]], { id: string }>(
  'similarity.withMatch',
  `SELECT s.id FROM template_signatures s
     JOIN similar_matches sm ON sm.member_id = s.member_id AND sm.key_epoch = s.key_epoch AND sm.digest = s.digest
    WHERE s.id = ANY($1::uuid[])`,
);

/** A similar match before this pass, with its member's alert on it. */
export interface SimilarMatchRow {
  id: string;
  signatureId: string;
  status: 'OPEN' | 'CLOSED' | 'COMMON';
  holderCount: number;
  bestShared: number;
  version: number;
  alertId: string | null;
  alertStatus: 'OPEN' | 'CLOSED' | null;
  alertOtherHolders: number | null;
  alertSimilarity: number | null;
  alertVersion: number | null;
}

/**
 * Creates the missing similar matches of the signatures in $1 (CLOSED, to be
 * decided) and locks all of them in (member, epoch, digest) order, so
 * concurrent passes over overlapping signatures queue up instead of
 * deadlocking and each judges after the previous one committed.
 */
export const ENSURE_MATCHES = statement<[signatureIds: string[]], Record<string, never>>(
  'similarity.ensureMatches',
  `INSERT INTO similar_matches (member_id, key_epoch, digest, status, holder_count, best_shared, version, first_seen_at, last_seen_at)
   SELECT member_id, key_epoch, digest, 'CLOSED', 0, 0, 0, first_seen_at, last_seen_at
     FROM template_signatures WHERE id = ANY($1::uuid[])
    ORDER BY member_id, key_epoch, digest
   ON CONFLICT (member_id, key_epoch, digest) DO NOTHING`,
);

export const LOCK_MATCHES = statement<[signatureIds: string[]], SimilarMatchRow>(
  'similarity.lockMatches',
  `SELECT sm.id, s.id AS "signatureId", sm.status::text AS status, sm.holder_count AS "holderCount",
          sm.best_shared AS "bestShared", sm.version,
          a.id AS "alertId", a.status::text AS "alertStatus", a.other_holders AS "alertOtherHolders",
          a.similarity AS "alertSimilarity", a.version AS "alertVersion"
     FROM template_signatures s
     JOIN similar_matches sm ON sm.member_id = s.member_id AND sm.key_epoch = s.key_epoch AND sm.digest = s.digest
     LEFT JOIN alerts a ON a.similar_match_id = sm.id AND a.member_id = sm.member_id
    WHERE s.id = ANY($1::uuid[])
    ORDER BY sm.member_id, sm.key_epoch, sm.digest
    FOR UPDATE OF sm`,
);

/** Writes the decided state of changed similar matches. */
export const UPDATE_MATCHES = statement<
  [
    ids: string[],
    statuses: string[],
    holders: number[],
    shared: number[],
    similar: string[],
    versions: number[],
    firstSeen: string[],
    lastSeen: string[],
  ],
  Record<string, never>
>(
  'similarity.updateMatches',
  `UPDATE similar_matches m SET status = u.status::"MatchStatus", holder_count = u.holders, best_shared = u.shared,
          similar_ids = string_to_array(u.similar_list, ',')::uuid[], version = u.version,
          first_seen_at = u.first_seen, last_seen_at = u.last_seen, updated_at = now()
     FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[], $6::int[], $7::timestamptz[], $8::timestamptz[])
          AS u(id, status, holders, shared, similar_list, version, first_seen, last_seen)
    WHERE m.id = u.id`,
);

/** Opens SIMILAR alerts ($1 similar matches, $2 members, $3 other holders, $4 similarity). */
export const CREATE_ALERTS = statement<
  [matchIds: string[], memberIds: string[], others: number[], similarity: number[]],
  { id: string; memberId: string }
>(
  'similarity.createAlerts',
  `INSERT INTO alerts (similar_match_id, member_id, other_holders, match_kind, similarity)
   SELECT u.match_id, u.member_id, u.others, 'SIMILAR', u.similarity
     FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::float8[]) AS u(match_id, member_id, others, similarity)
   RETURNING id, member_id AS "memberId"`,
);

/** Changes SIMILAR alerts' status, counts, similarity and close reason (null while open). */
export const UPDATE_ALERTS = statement<
  [ids: string[], statuses: string[], others: number[], similarity: number[], versions: number[], closeReasons: (string | null)[]],
  Record<string, never>
>(
  'similarity.updateAlerts',
  `UPDATE alerts a SET status = u.status::"AlertStatus", other_holders = u.others, similarity = u.similarity,
          version = u.version, updated_at = now(), closed_at = CASE WHEN u.status = 'CLOSED' THEN now() ELSE NULL END,
          close_reason = u.reason::"AlertCloseReason"
     FROM unnest($1::uuid[], $2::text[], $3::int[], $4::float8[], $5::int[], $6::text[]) AS u(id, status, others, similarity, version, reason)
    WHERE a.id = u.id`,
);

/** Expired signatures to remove, oldest first ($1 how many). */
export const EXPIRED = statement<[limit: number], { id: string }>(
  'similarity.expired',
  `SELECT id FROM template_signatures WHERE expires_at <= now() ORDER BY expires_at LIMIT $1::int`,
);

/** Deletes the signatures of $1 that are still expired (one submitted again meanwhile stays); bands go with them. */
export const DELETE_EXPIRED = statement<[signatureIds: string[]], { id: string }>(
  'similarity.deleteExpired',
  `DELETE FROM template_signatures WHERE id = ANY($1::uuid[]) AND expires_at <= now() RETURNING id`,
);

/** The live signatures under a key epoch ($1): what its retirement closes. */
export const SIGNATURES_OF_EPOCH = statement<[keyEpoch: string], { id: string }>(
  'similarity.signaturesOfEpoch',
  `SELECT id FROM template_signatures WHERE key_epoch = $1 AND expires_at > now()`,
);

// ---------------------------------------------------------------------------
// Verdicts on SIMILAR alerts
// ---------------------------------------------------------------------------

/** A SIMILAR alert's similar match, locked: its signature and the other members' signatures that counted. */
export interface SimilarMatchOfAlertRow {
  matchId: string;
  signatureId: string;
  keyEpoch: string;
  similarIds: string[];
}

/** Locks the similar match of SIMILAR alert $1 (no row for an EXACT alert). */
export const LOCK_MATCH_OF_ALERT = statement<[alertId: string], SimilarMatchOfAlertRow>(
  'similarity.lockMatchOfAlert',
  `SELECT sm.id AS "matchId", s.id AS "signatureId", sm.key_epoch AS "keyEpoch", sm.similar_ids::text[] AS "similarIds"
     FROM alerts a
     JOIN similar_matches sm ON sm.id = a.similar_match_id
     JOIN template_signatures s ON s.member_id = sm.member_id AND s.key_epoch = sm.key_epoch AND s.digest = sm.digest
    WHERE a.id = $1::uuid
      FOR UPDATE OF sm`,
);

/**
 * Quarantines every band token of similar match $1's signature and of the
 * signatures that counted towards it (so those templates, copied by anyone,
 * stop matching, as a quarantined exact token does), when the verdicts on the group's
 * SIMILAR alerts (its own and those on the counted signatures) say so: the
 * rule of correlation.quarantine, band by band. A band token is quarantined
 * when at least $2 distinct active members say FALSE_POSITIVE and they
 * outnumber the active members that say CONFIRMED_ABUSE; after a release of
 * that token only false positives given (acknowledged) after it count,
 * confirmations count whenever given. Suppressed tokens are left alone.
 */
export const QUARANTINE_SHARED_BANDS = statement<
  [matchId: string, minFalsePositives: number],
  { keyEpoch: string; token: string; falsePositives: number; confirmations: number }
>(
  'similarity.quarantineSharedBands',
  `
  WITH sm AS (
    SELECT * FROM similar_matches WHERE id = $1::uuid
  ),
  own AS (
    SELECT s.id FROM template_signatures s JOIN sm ON s.member_id = sm.member_id AND s.key_epoch = sm.key_epoch AND s.digest = sm.digest
  ),
  verdicts AS (
    SELECT a.member_id, a.verdict, a.acknowledged_at FROM alerts a JOIN sm ON a.similar_match_id = sm.id
    UNION ALL
    SELECT oa.member_id, oa.verdict, oa.acknowledged_at
      FROM sm
      JOIN template_signatures o ON o.id = ANY(sm.similar_ids)
      JOIN similar_matches om ON om.member_id = o.member_id AND om.key_epoch = o.key_epoch AND om.digest = o.digest
      JOIN alerts oa ON oa.similar_match_id = om.id
  ),
  counted AS (
    SELECT v.member_id, v.verdict, v.acknowledged_at
      FROM verdicts v JOIN members mb ON mb.id = v.member_id AND mb.status = 'ACTIVE'
     WHERE v.verdict IN ('FALSE_POSITIVE', 'CONFIRMED_ABUSE')
  ),
  bands AS (
    SELECT b.key_epoch, b.token FROM own JOIN template_signature_bands b ON b.signature_id = own.id
    UNION
    SELECT b.key_epoch, b.token FROM sm JOIN template_signature_bands b ON b.signature_id = ANY(sm.similar_ids)
  ),
  counts AS (
    SELECT bands.key_epoch, bands.token,
           count(DISTINCT v.member_id) FILTER (WHERE v.verdict = 'FALSE_POSITIVE'
                                                 AND (r.released_at IS NULL OR v.acknowledged_at > r.released_at))::int AS fp,
           count(DISTINCT v.member_id) FILTER (WHERE v.verdict = 'CONFIRMED_ABUSE')::int AS confirmed
      FROM bands
      CROSS JOIN counted v
      LEFT JOIN quarantine_releases r ON r.type = 'PROMPT_TEMPLATE' AND r.key_epoch = bands.key_epoch AND r.token = bands.token
     GROUP BY bands.key_epoch, bands.token
  )
  INSERT INTO quarantined_tokens (type, key_epoch, token, false_positives, confirmations)
  SELECT 'PROMPT_TEMPLATE', c.key_epoch, c.token, c.fp, c.confirmed
    FROM counts c
   WHERE c.fp >= $2::int AND c.fp > c.confirmed
     AND NOT EXISTS (SELECT 1 FROM suppressed_tokens st
                      WHERE st.type = 'PROMPT_TEMPLATE' AND st.key_epoch = c.key_epoch AND st.token = c.token)
  ON CONFLICT DO NOTHING
  RETURNING key_epoch AS "keyEpoch", encode(token, 'hex') AS token, false_positives AS "falsePositives", confirmations`,
);

/** Marks SIMILAR alert $1's verdict announced, unless it already was (one row, or none). */
export const MARK_VERDICT_ANNOUNCED = statement<[alertId: string], { id: string }>(
  'similarity.markVerdictAnnounced',
  `UPDATE alerts SET announced_verdict = verdict
    WHERE id = $1::uuid AND announced_verdict IS DISTINCT FROM verdict
   RETURNING id`,
);

/** A new version for the SIMILAR alerts of the other members' signatures that counted towards similar match $1 (their verdict counts include this one's). */
export const BUMP_SIMILAR_ALERTS = statement<[matchId: string], { id: string; memberId: string; version: number }>(
  'similarity.bumpSimilarAlerts',
  `UPDATE alerts oa SET version = oa.version + 1, updated_at = now()
     FROM similar_matches sm, template_signatures o, similar_matches om
    WHERE sm.id = $1::uuid AND o.id = ANY(sm.similar_ids)
      AND om.member_id = o.member_id AND om.key_epoch = o.key_epoch AND om.digest = o.digest
      AND oa.similar_match_id = om.id AND oa.member_id <> sm.member_id
   RETURNING oa.id, oa.member_id AS "memberId", oa.version`,
);
