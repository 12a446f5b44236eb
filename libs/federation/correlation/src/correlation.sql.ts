import { statement, type IndicatorType } from '@app/database';
import type { AlertBefore, MatchBefore } from './decide.js';
import type { AlertEventType, BlockReason, TokenKey } from './correlation.types.js';

type Types = IndicatorType[] | string[];

/*
 * Correlation's statements (worker role, plain node-postgres, prepared once
 * per pooled connection). Keys travel as three parallel arrays: types,
 * epochs and hex tokens.
 */
/**
 * The keys worth locking: those that already have a match, or that k
 * active records hold. Written once for both sources of keys: the arrays
 * ($1-$3), or every token a submission ($4) stored or refreshed (and that
 * no later submission took over), read in the database so a big batch
 * with few matches does not ship its keys to the worker. A submission's
 * rows are one member's, so its (type, epoch, token) are unique.
 */
export const candidates = statement<[types: Types, epochs: string[], tokens: string[], submissionId: string | null, k: number], TokenKey>(
  'correlation.candidates',
  `WITH keys AS (
     SELECT DISTINCT type, key_epoch, decode(token_hex, 'hex') AS token
       FROM unnest($1::"IndicatorType"[], $2::text[], $3::text[]) AS u(type, key_epoch, token_hex)
     UNION ALL
     SELECT k.type, k.key_epoch, i.token FROM indicators i JOIN key_spaces k ON k.id = i.key_space
      WHERE i.submission_id = $4::uuid
   )
   SELECT type::text AS type, key_epoch AS "keyEpoch", encode(token, 'hex') AS token
     FROM keys
    WHERE EXISTS (SELECT 1 FROM matches m
                   WHERE m.type = keys.type AND m.key_epoch = keys.key_epoch AND m.token = keys.token)
       OR (SELECT count(*) FROM (
             SELECT 1 FROM indicators i
              WHERE i.key_space = (SELECT k.id FROM key_spaces k WHERE k.type = keys.type AND k.key_epoch = keys.key_epoch)
                AND i.token = keys.token AND i.expires_at > now()
              LIMIT $5::int) AS held) >= $5::int
    ORDER BY 1, 2, 3`,
);

/** Every key a member's live records hold. */
export const memberKeys = statement<[memberId: string], TokenKey>(
  'correlation.memberKeys',
  `SELECT DISTINCT k.type::text AS type, k.key_epoch AS "keyEpoch", encode(i.token, 'hex') AS token
     FROM indicators i JOIN key_spaces k ON k.id = i.key_space
    WHERE i.member_no = (SELECT member_no FROM members WHERE id = $1::uuid) AND i.expires_at > now()`,
);

/** Creates the missing match rows of the keys, in key order. */
export const createMatches = statement<[types: Types, epochs: string[], tokens: string[]]>(
  'correlation.createMatches',
  `INSERT INTO matches (type, key_epoch, token, status, holder_count, version, first_seen_at, last_seen_at)
   SELECT type, key_epoch, decode(token_hex, 'hex'), 'CLOSED', 0, 0, now(), now()
     FROM unnest($1::"IndicatorType"[], $2::text[], $3::text[]) AS u(type, key_epoch, token_hex)
    ORDER BY 1, 2, 3
   ON CONFLICT (type, key_epoch, token) DO NOTHING`,
);

/** Locks the keys' matches, in key order (concurrent passes queue instead of deadlocking). */
export const lockMatches = statement<[types: Types, epochs: string[], tokens: string[]], MatchBefore>(
  'correlation.lockMatches',
  `SELECT m.id, m.status::text AS status, m.holder_count AS "holderCount", m.version
     FROM matches m
     JOIN unnest($1::"IndicatorType"[], $2::text[], $3::text[]) AS u(type, key_epoch, token_hex)
       ON m.type = u.type AND m.key_epoch = u.key_epoch AND m.token = decode(u.token_hex, 'hex')
    ORDER BY m.type, m.key_epoch, m.token
      FOR UPDATE OF m`,
);

/** What a pass reads of each locked match (`matchFacts`). */
export interface MatchFacts {
  matchId: string;
  /** The active members holding a live record of it, in member id order. */
  holders: string[];
  /** Its alerts as they are. */
  alerts: AlertBefore[];
  /** Why its token may not match at all, if it may not. */
  reason: BlockReason | null;
  /** How many members are active (the COMMON threshold is a share of them). */
  active: number;
}

/**
 * Everything a pass decides each locked match of the keys on, in one
 * statement: the holders, alerts, block reason and active member count that
 * `holders`, `alerts`, `blocked` and `activeMembers` read one statement
 * each. Run after lockMatches, in its own statement, so it reads what
 * committed while the locks were awaited; it takes the keys rather than the
 * match ids so that it can be sent with lockMatches.
 */
export const matchFacts = statement<[types: Types, epochs: string[], tokens: string[]], MatchFacts>(
  'correlation.matchFacts',
  `SELECT m.id AS "matchId",
          ARRAY(SELECT mb.id::text
                  FROM indicators i JOIN members mb ON mb.member_no = i.member_no
                 WHERE i.key_space = (SELECT k.id FROM key_spaces k WHERE k.type = m.type AND k.key_epoch = m.key_epoch)
                   AND i.token = m.token AND i.expires_at > now() AND mb.status = 'ACTIVE'
                 ORDER BY mb.id) AS holders,
          COALESCE((SELECT json_agg(json_build_object('id', a.id, 'memberId', a.member_id, 'status', a.status,
                                                      'otherHolders', a.other_holders, 'version', a.version))
                      FROM alerts a WHERE a.match_id = m.id), '[]'::json) AS alerts,
          CASE WHEN EXISTS (SELECT 1 FROM key_epochs e WHERE e.label = m.key_epoch AND e.retired_at IS NOT NULL) THEN 'KEY_EPOCH_RETIRED'
               WHEN EXISTS (SELECT 1 FROM suppressed_tokens s
                             WHERE s.type = m.type AND s.key_epoch = m.key_epoch AND s.token = m.token) THEN 'SUPPRESSED'
               WHEN EXISTS (SELECT 1 FROM quarantined_tokens q
                             WHERE q.type = m.type AND q.key_epoch = m.key_epoch AND q.token = m.token) THEN 'QUARANTINED'
          END AS reason,
          (SELECT count(*)::int FROM members WHERE status = 'ACTIVE') AS active
     FROM matches m
     JOIN unnest($1::"IndicatorType"[], $2::text[], $3::text[]) AS u(type, key_epoch, token_hex)
       ON m.type = u.type AND m.key_epoch = u.key_epoch AND m.token = decode(u.token_hex, 'hex')`,
);

/** Every key with a match under key epoch $1 (after its retirement). */
export const epochKeys = statement<[label: string], TokenKey>(
  'correlation.epochKeys',
  `SELECT type, key_epoch AS "keyEpoch", encode(token, 'hex') AS token
     FROM matches WHERE key_epoch = $1 ORDER BY type, token`,
);

/** Writes the matches' new state; first and last seen from their live records. */
export const updateMatches = statement<[ids: string[], statuses: string[], holders: number[], versions: number[]]>(
  'correlation.updateMatches',
  `UPDATE matches m SET status = u.status::"MatchStatus", holder_count = u.holders, version = u.version,
          first_seen_at = COALESCE(seen.first, m.first_seen_at),
          last_seen_at = COALESCE(seen.last, m.last_seen_at), updated_at = now()
     FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[]) AS u(id, status, holders, version)
     LEFT JOIN LATERAL (
       SELECT min(i.first_seen_at) AS first, max(i.last_seen_at) AS last
         FROM matches mm
         JOIN key_spaces k ON k.type = mm.type AND k.key_epoch = mm.key_epoch
         JOIN indicators i ON i.key_space = k.id AND i.token = mm.token
        WHERE mm.id = u.id AND i.expires_at > now()
     ) seen ON true
    WHERE m.id = u.id`,
);

/** New alerts (OPEN, version 1). */
export const createAlerts = statement<[matchIds: string[], memberIds: string[], others: number[]], { id: string; memberId: string }>(
  'correlation.createAlerts',
  `INSERT INTO alerts (match_id, member_id, other_holders)
   SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[])
   RETURNING id, member_id AS "memberId"`,
);

/** Alerts whose status or count changed. */
export const updateAlerts = statement<
  [ids: string[], statuses: string[], others: number[], versions: number[], closeReasons: (string | null)[]]
>(
  'correlation.updateAlerts',
  `UPDATE alerts a SET status = u.status::"AlertStatus", other_holders = u.others, version = u.version,
          updated_at = now(), closed_at = CASE WHEN u.status = 'CLOSED' THEN now() ELSE NULL END,
          close_reason = u.reason::"AlertCloseReason"
     FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[]) AS u(id, status, others, version, reason)
    WHERE a.id = u.id`,
);
/** Recomputes priority_rank and last_observed_on of the matches' alerts (every pass: re-observation moves them). */
export const refreshPriority = statement<[matchIds: string[]], { refresh_alert_priority: string }>(
  'correlation.refreshPriority',
  `SELECT refresh_alert_priority($1::uuid[])::text`,
);
/**
 * Quarantines match $1's token when at least $2 distinct active members say
 * FALSE_POSITIVE and they outnumber the active members that say
 * CONFIRMED_ABUSE. After a release only false positives given (acknowledged)
 * after it count; confirmations count whenever given. A suppressed token,
 * or one quarantined already, is left alone.
 */
export const quarantine = statement<[matchId: string, minFalsePositives: number], { falsePositives: number; confirmations: number }>(
  'correlation.quarantine',
  `WITH counts AS (
     SELECT count(*) FILTER (WHERE a.verdict = 'FALSE_POSITIVE'
                               AND (r.released_at IS NULL OR a.acknowledged_at > r.released_at))::int AS fp,
            count(*) FILTER (WHERE a.verdict = 'CONFIRMED_ABUSE')::int AS confirmed
       FROM alerts a
       JOIN members mb ON mb.id = a.member_id AND mb.status = 'ACTIVE'
       JOIN matches m ON m.id = a.match_id
       LEFT JOIN quarantine_releases r ON r.type = m.type AND r.key_epoch = m.key_epoch AND r.token = m.token
      WHERE a.match_id = $1::uuid
   )
   INSERT INTO quarantined_tokens (type, key_epoch, token, false_positives, confirmations)
   SELECT m.type, m.key_epoch, m.token, c.fp, c.confirmed
     FROM matches m, counts c
    WHERE m.id = $1::uuid AND c.fp >= $2 AND c.fp > c.confirmed
      AND NOT EXISTS (SELECT 1 FROM suppressed_tokens s WHERE s.type = m.type AND s.key_epoch = m.key_epoch AND s.token = m.token)
   ON CONFLICT DO NOTHING
   RETURNING false_positives AS "falsePositives", confirmations`,
);
/** Marks alert $1's verdict announced (when its token was quarantined instead of announced). */
export const markAnnounced = statement<[alertId: string]>(
  'correlation.markAnnounced',
  `UPDATE alerts SET announced_verdict = verdict WHERE id = $1::uuid`,
);

/**
 * Numbers the events per member and stores them for resuming
 * subscriptions. The members' sequence rows are taken in member order and
 * stay locked until commit, after every match lock, so passes never
 * deadlock over them and a member's numbers commit in order.
 */
export const recordEvents = statement<
  [memberIds: string[], alertIds: string[], types: AlertEventType[], versions: number[]],
  { ord: number; seq: string }
>(
  'correlation.recordEvents',
  `WITH ev AS (
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[])
              WITH ORDINALITY AS u(member_id, alert_id, type, version, ord)
   ), counts AS (
     SELECT member_id, count(*) AS n FROM ev GROUP BY member_id ORDER BY member_id
   ), taken AS (
     INSERT INTO alert_event_sequences AS s (member_id, last_seq)
     SELECT member_id, n FROM counts ORDER BY member_id
     ON CONFLICT (member_id) DO UPDATE SET last_seq = s.last_seq + EXCLUDED.last_seq
     RETURNING s.member_id, s.last_seq
   ), numbered AS (
     SELECT ev.*, t.last_seq - c.n + row_number() OVER (PARTITION BY ev.member_id ORDER BY ev.ord) AS seq
       FROM ev JOIN counts c USING (member_id) JOIN taken t USING (member_id)
   ), stored AS (
     INSERT INTO alert_events (member_id, seq, alert_id, type, version, occurred_at)
     SELECT member_id, seq, alert_id, type, version, clock_timestamp() FROM numbered
     RETURNING seq
   )
   SELECT ord::int, seq::text FROM numbered`,
);

/** Locks the match of an alert (announcing a verdict). */
export const lockMatchOfAlert = statement<[alertId: string], TokenKey & { id: string }>(
  'correlation.lockMatchOfAlert',
  `SELECT m.id, m.type, m.key_epoch AS "keyEpoch", encode(m.token, 'hex') AS token
     FROM matches m JOIN alerts a ON a.match_id = m.id WHERE a.id = $1::uuid FOR UPDATE OF m`,
);

/** Marks the alert's verdict announced, unless it already was (one row, or none). */
export const markVerdictAnnounced = statement<[alertId: string], { id: string }>(
  'correlation.markVerdictAnnounced',
  `UPDATE alerts SET announced_verdict = verdict
    WHERE id = $1::uuid AND announced_verdict IS DISTINCT FROM verdict
   RETURNING id`,
);

/** A new version for every other holder's alert on the match. */
export const bumpOtherAlerts = statement<[matchId: string, alertId: string], { id: string; memberId: string; version: number }>(
  'correlation.bumpOtherAlerts',
  `UPDATE alerts SET version = version + 1, updated_at = now()
    WHERE match_id = $1::uuid AND id <> $2::uuid
   RETURNING id, member_id AS "memberId", version`,
);

/**
 * Deletes up to $1 expired indicators (rows another sweep holds are
 * skipped) and returns their keys, one per deleted row.
 */
export const deleteExpired = statement<[limit: number], TokenKey>(
  'correlation.deleteExpired',
  `WITH deleted AS (
     DELETE FROM indicators
      WHERE ctid = ANY(ARRAY(SELECT ctid FROM indicators WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED))
     RETURNING key_space, token
   )
   SELECT k.type::text AS type, k.key_epoch AS "keyEpoch", encode(d.token, 'hex') AS token
     FROM deleted d JOIN key_spaces k ON k.id = d.key_space`,
);

/** Deletes up to $2 alert events older than $1 hours (ALERT_EVENT_RETENTION_HOURS). */
export const pruneAlertEvents = statement<[retentionHours: number, limit: number]>(
  'correlation.pruneAlertEvents',
  `DELETE FROM alert_events
    WHERE ctid = ANY(ARRAY(SELECT ctid FROM alert_events WHERE occurred_at < now() - make_interval(hours => $1::int) LIMIT $2))`,
);
