-- Feedback that acts (docs/indicators-and-alerts.md): why an alert closed,
-- quarantined tokens and their releases, re-observation and priority.

CREATE TYPE "AlertCloseReason" AS ENUM ('NOT_MATCHED', 'COMMON', 'SUPPRESSED', 'QUARANTINED', 'KEY_EPOCH_RETIRED');

-- close_reason: set when the alert closes, cleared when it reopens (NULL on
-- alerts closed before this migration). last_observed_on: the UTC day any
-- active holder last reported the token. priority_rank: the priority's
-- time-invariant part plus that day's number (see refresh_alert_priority).
ALTER TABLE "alerts"
    ADD COLUMN "close_reason" "AlertCloseReason",
    ADD COLUMN "last_observed_on" DATE,
    ADD COLUMN "priority_rank" INTEGER NOT NULL DEFAULT 0;
CREATE INDEX "alerts_member_id_priority_rank_id_idx" ON "alerts"("member_id", "priority_rank" DESC, "id" DESC);

-- A token is quarantined while it has a row here: it stops matching.
CREATE TABLE "quarantined_tokens" (
    "type" "IndicatorType" NOT NULL,
    "key_epoch" VARCHAR(32) NOT NULL,
    "token" BYTEA NOT NULL,
    "false_positives" INTEGER NOT NULL,
    "confirmations" INTEGER NOT NULL,
    "quarantined_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "quarantined_tokens_pkey" PRIMARY KEY ("type", "key_epoch", "token"),
    CONSTRAINT "quarantined_tokens_token_length" CHECK (octet_length("token") = 32)
);

-- The last release of each token: only verdicts given after it count
-- towards quarantining the token again.
CREATE TABLE "quarantine_releases" (
    "type" "IndicatorType" NOT NULL,
    "key_epoch" VARCHAR(32) NOT NULL,
    "token" BYTEA NOT NULL,
    "released_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "released_by_id" UUID,
    CONSTRAINT "quarantine_releases_pkey" PRIMARY KEY ("type", "key_epoch", "token"),
    CONSTRAINT "quarantine_releases_token_length" CHECK (octet_length("token") = 32)
);

GRANT SELECT, DELETE ON quarantined_tokens TO sigfed_api;
GRANT SELECT, INSERT, UPDATE ON quarantine_releases TO sigfed_api;
GRANT SELECT, INSERT ON quarantined_tokens TO sigfed_worker;
GRANT SELECT ON quarantine_releases, key_epochs TO sigfed_worker;

-- Recomputes last_observed_on and priority_rank of every alert of these
-- matches, writing only the rows whose values change. The priority of an
-- alert on day D is priority_rank - D (days since 1970-01-01, UTC), i.e.
--   10 * min(other holders, 10)
-- + 15 * min(other active members' CONFIRMED_ABUSE verdicts, 10)
-- - 15 * min(other active members' FALSE_POSITIVE verdicts, 10)
-- +  2 * round(mean confidence of the active holders' live records / 20)
-- - days since last_observed_on.
-- Its part that moves with time falls by one a day for every alert alike, so
-- the order (and an index on priority_rank) needs no daily rewrite.
CREATE FUNCTION refresh_alert_priority(match_ids uuid[]) RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = public, pg_temp
    AS $$
    WITH facts AS (
        SELECT m.id AS match_id, (max(i.last_seen_at) AT TIME ZONE 'UTC')::date AS observed_on,
               avg(i.confidence) AS confidence
          FROM matches m
          JOIN indicators i ON i.type = m.type AND i.key_epoch = m.key_epoch AND i.token = m.token
          JOIN members mb ON mb.id = i.member_id
         WHERE m.id = ANY(match_ids) AND i.expires_at > now() AND mb.status = 'ACTIVE'
         GROUP BY m.id
    ), computed AS (
        SELECT a.id,
               COALESCE(f.observed_on, a.last_observed_on, (m.last_seen_at AT TIME ZONE 'UTC')::date) AS observed_on,
               10 * least(a.other_holders, 10)
               + 15 * least(v.confirmed, 10) - 15 * least(v.false_positive, 10)
               + 2 * COALESCE(round(f.confidence / 20), 0)::int AS base
          FROM alerts a
          JOIN matches m ON m.id = a.match_id
          LEFT JOIN facts f ON f.match_id = a.match_id
         CROSS JOIN LATERAL (
               SELECT count(*) FILTER (WHERE o.verdict = 'CONFIRMED_ABUSE')::int AS confirmed,
                      count(*) FILTER (WHERE o.verdict = 'FALSE_POSITIVE')::int AS false_positive
                 FROM alerts o JOIN members om ON om.id = o.member_id
                WHERE o.match_id = a.match_id AND o.member_id <> a.member_id AND om.status = 'ACTIVE') v
         WHERE a.match_id = ANY(match_ids)
    )
    UPDATE alerts a
       SET last_observed_on = c.observed_on, priority_rank = c.base + (c.observed_on - DATE '1970-01-01')
      FROM computed c
     WHERE a.id = c.id
       AND (a.last_observed_on, a.priority_rank) IS DISTINCT FROM (c.observed_on, c.base + (c.observed_on - DATE '1970-01-01'))
    $$;
REVOKE ALL ON FUNCTION refresh_alert_priority(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refresh_alert_priority(uuid[]) TO sigfed_worker;

SELECT refresh_alert_priority(ARRAY(SELECT id FROM matches));

-- Verdict counts, like holder counts, leave out members that are not ACTIVE
-- (a suspended member's records and verdicts count nowhere).
CREATE OR REPLACE FUNCTION alert_view_facts(alert_ids uuid[])
    RETURNS TABLE (alert_id uuid, external_ref text, disclosed_holders text[],
                   confirmed_abuse int, false_positive int, under_review int)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    SELECT a.id,
           (SELECT own.external_ref::text FROM indicators own
             WHERE own.type = m.type AND own.key_epoch = m.key_epoch AND own.token = m.token
               AND own.member_id = a.member_id),
           COALESCE((SELECT array_agg(mb.name::text ORDER BY mb.name)
                       FROM indicators oi JOIN members mb ON mb.id = oi.member_id
                      WHERE oi.type = m.type AND oi.key_epoch = m.key_epoch AND oi.token = m.token
                        AND oi.member_id <> a.member_id AND oi.disclose_identity AND oi.expires_at > now()
                        AND mb.status = 'ACTIVE'), '{}'),
           v.confirmed_abuse, v.false_positive, v.under_review
      FROM alerts a
      JOIN matches m ON m.id = a.match_id
     CROSS JOIN LATERAL (
           SELECT count(*) FILTER (WHERE o.verdict = 'CONFIRMED_ABUSE')::int AS confirmed_abuse,
                  count(*) FILTER (WHERE o.verdict = 'FALSE_POSITIVE')::int AS false_positive,
                  count(*) FILTER (WHERE o.verdict = 'UNDER_REVIEW')::int AS under_review
             FROM alerts o JOIN members om ON om.id = o.member_id
            WHERE o.match_id = a.match_id AND o.member_id <> a.member_id AND om.status = 'ACTIVE') v
     WHERE a.id = ANY(alert_ids) AND a.member_id = current_member_id()
    $$;
