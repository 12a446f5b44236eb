-- indicators with a compact primary key (issue 20, "Disk").
--
-- (type, key_epoch) becomes an int key space (key_spaces) and member_id a
-- smallint member number (members.member_no), primary key
-- (key_space, token, member_no): an index entry of 48 bytes instead of 72.
-- The key space is the int: members may add (type, epoch) pairs while the
-- federation has no key epochs, so a smallint would be a budget one member
-- could spend for all; member numbers are spent only by onboarding.
-- external_ref is NOT NULL with '' for none (a reference is 1-256
-- characters, so '' is never a member's), so a row has no null bitmap and
-- its 23-byte header pads to 24, not 32: 115 bytes stored as 120 instead of
-- 144. Measured on 1M scratch rows filled as the bench's preload:
-- 216.4 MB per million against 274.7; in the bench 218 against 279
-- (docs/performance.md, "Disk").
--
-- Copies the table under an exclusive lock, as 20261127000000_indicators_column_order.

-- Internal numbers: GENERATED ALWAYS, so no role sets them (an UPDATE may
-- only reset one to DEFAULT, which the foreign key below refuses while the
-- member holds indicators).
ALTER TABLE "members" ADD COLUMN "member_no" SMALLINT GENERATED ALWAYS AS IDENTITY;
ALTER TABLE "members" ADD CONSTRAINT "members_member_no_key" UNIQUE ("member_no");

CREATE TABLE "key_spaces" (
    "id" INTEGER GENERATED ALWAYS AS IDENTITY,
    "type" "IndicatorType" NOT NULL,
    "key_epoch" VARCHAR(32) NOT NULL,
    CONSTRAINT "key_spaces_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "key_spaces_type_key_epoch_key" UNIQUE ("type", "key_epoch")
);
-- Not member data: a (type, epoch) pair, the same for every member. The
-- API adds pairs; its UPDATE is only for the upsert's ON CONFLICT DO UPDATE
-- (which returns a pair a concurrent transaction added), and the trigger
-- refuses any update that changes a pair: ids are fixed once given.
GRANT SELECT, INSERT, UPDATE (type) ON key_spaces TO sigfed_api;
GRANT SELECT ON key_spaces TO sigfed_worker;
CREATE FUNCTION key_spaces_fixed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF (NEW.id, NEW.type, NEW.key_epoch) IS DISTINCT FROM (OLD.id, OLD.type, OLD.key_epoch) THEN
        RAISE EXCEPTION 'key_spaces rows do not change' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION key_spaces_fixed() FROM PUBLIC;
CREATE TRIGGER key_spaces_fixed BEFORE UPDATE ON key_spaces FOR EACH ROW EXECUTE FUNCTION key_spaces_fixed();

-- The scoped member's number; NULL when no member is scoped. The roles read
-- members, so it runs with the caller's rights.
CREATE FUNCTION current_member_no() RETURNS smallint
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = public, pg_temp
    AS $$ SELECT member_no FROM members WHERE id = current_member_id() $$;

LOCK TABLE indicators IN ACCESS EXCLUSIVE MODE;

INSERT INTO "key_spaces" ("type", "key_epoch")
SELECT DISTINCT "type", "key_epoch" FROM "indicators" ORDER BY 1, 2;

CREATE TABLE "indicators_compact" (
    "observed_at" TIMESTAMPTZ(6) NOT NULL,
    "first_seen_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "submission_id" UUID NOT NULL,
    "key_space" INTEGER NOT NULL,
    "member_no" SMALLINT NOT NULL,
    "confidence" SMALLINT NOT NULL,
    "disclose_identity" BOOLEAN NOT NULL DEFAULT false,
    "token" BYTEA NOT NULL,
    "external_ref" VARCHAR(256) NOT NULL DEFAULT '',
    CONSTRAINT "indicators_token_length" CHECK (octet_length("token") = 32),
    CONSTRAINT "indicators_confidence_range" CHECK ("confidence" BETWEEN 0 AND 100)
);

INSERT INTO "indicators_compact" ("observed_at", "first_seen_at", "last_seen_at", "expires_at", "submission_id",
                                  "key_space", "member_no", "confidence", "disclose_identity", "token", "external_ref")
SELECT i."observed_at", i."first_seen_at", i."last_seen_at", i."expires_at", i."submission_id",
       k."id", m."member_no", i."confidence", i."disclose_identity", i."token", COALESCE(i."external_ref", '')
  FROM "indicators" i
  JOIN "members" m ON m."id" = i."member_id"
  JOIN "key_spaces" k ON k."type" = i."type" AND k."key_epoch" = i."key_epoch";

DROP TABLE "indicators";
ALTER TABLE "indicators_compact" RENAME TO "indicators";

ALTER TABLE "indicators" ADD CONSTRAINT "indicators_pkey" PRIMARY KEY ("key_space", "token", "member_no");
CREATE INDEX "indicators_submission_id_idx" ON "indicators"("submission_id");
CREATE INDEX "indicators_expires_at_idx" ON "indicators"("expires_at");
ALTER TABLE "indicators" ADD CONSTRAINT "indicators_member_no_fkey" FOREIGN KEY ("member_no") REFERENCES "members"("member_no") ON DELETE CASCADE ON UPDATE NO ACTION;
-- key_space has no foreign key: key_spaces rows are never deleted (no role
-- but the owner may), and the check would cost a lookup per stored row.

GRANT SELECT, INSERT, UPDATE ON indicators TO sigfed_api;
GRANT SELECT, DELETE, UPDATE (expires_at) ON indicators TO sigfed_worker;

ALTER TABLE indicators ENABLE ROW LEVEL SECURITY;
-- The sub-select makes the member number an InitPlan: one lookup per statement, not per row.
CREATE POLICY indicators_of_member ON indicators TO sigfed_api
    USING (member_no = (SELECT current_member_no())) WITH CHECK (member_no = (SELECT current_member_no()));
CREATE POLICY indicators_of_worker ON indicators TO sigfed_worker USING (true) WITH CHECK (true);

-- Functions that read indicators, rewritten for the key space and member number.
CREATE OR REPLACE FUNCTION retract_own_indicators(indicator_type "IndicatorType", epoch text, hex_tokens text[])
    RETURNS TABLE (retracted text)
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    DELETE FROM indicators i
     WHERE i.member_no = current_member_no()
       AND i.key_space = (SELECT k.id FROM key_spaces k WHERE k.type = indicator_type AND k.key_epoch = epoch)
       AND i.token IN (SELECT decode(t, 'hex') FROM unnest(hex_tokens) AS t)
    RETURNING encode(i.token, 'hex')
    $$;

-- As in 20261204034200_alert_view_facts_disclosed, holders found through the
-- match's key space and named through their member number.
CREATE OR REPLACE FUNCTION alert_view_facts(alert_ids uuid[])
    RETURNS TABLE (alert_id uuid, type "IndicatorType", key_epoch text, token bytea,
                   first_seen_at timestamptz, last_seen_at timestamptz,
                   external_ref text, disclosed_holders text[],
                   confirmed_abuse int, false_positive int, under_review int)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF cardinality(alert_ids) IS NULL OR cardinality(alert_ids) = 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT a.id, m.type, m.key_epoch::text, m.token, m.first_seen_at, m.last_seen_at,
           h.external_ref, COALESCE(h.disclosed, '{}'),
           m.verdict_confirmed_abuse - (me.active AND a.verdict IS NOT DISTINCT FROM 'CONFIRMED_ABUSE')::int,
           m.verdict_false_positive - (me.active AND a.verdict IS NOT DISTINCT FROM 'FALSE_POSITIVE')::int,
           m.verdict_under_review - (me.active AND a.verdict IS NOT DISTINCT FROM 'UNDER_REVIEW')::int
      FROM (SELECT DISTINCT x.id FROM unnest(alert_ids) AS x(id)) AS ids
      JOIN alerts a ON a.id = ids.id
      JOIN matches m ON m.id = a.match_id
     CROSS JOIN (SELECT COALESCE(mb.status = 'ACTIVE', false) AS active, mb.member_no AS no
                   FROM (SELECT NULL) AS one LEFT JOIN members mb ON mb.id = current_member_id()) me
     CROSS JOIN LATERAL (
           SELECT max(NULLIF(i.external_ref, '')::text) FILTER (WHERE i.member_no = me.no) AS external_ref,
                  array_agg(d.name ORDER BY d.name) FILTER (WHERE d.name IS NOT NULL) AS disclosed
             FROM indicators i
            -- The CASE reads the member only when the holder could be named (members.name is NOT NULL).
            CROSS JOIN LATERAL (
                  SELECT CASE WHEN i.member_no <> me.no AND i.disclose_identity AND i.expires_at > now()
                              THEN (SELECT mb.name::text FROM members mb WHERE mb.member_no = i.member_no AND mb.status = 'ACTIVE')
                         END AS name) d
            WHERE i.key_space = (SELECT k.id FROM key_spaces k WHERE k.type = m.type AND k.key_epoch = m.key_epoch)
              AND i.token = m.token) h
     WHERE a.member_id = current_member_id();
END
$$;

CREATE OR REPLACE FUNCTION refresh_alert_priority(match_ids uuid[]) RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = public, pg_temp
    AS $$
    WITH facts AS (
        SELECT m.id AS match_id, (max(i.last_seen_at) AT TIME ZONE 'UTC')::date AS observed_on,
               avg(i.confidence) AS confidence
          FROM matches m
          JOIN key_spaces k ON k.type = m.type AND k.key_epoch = m.key_epoch
          JOIN indicators i ON i.key_space = k.id AND i.token = m.token
          JOIN members mb ON mb.member_no = i.member_no
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

-- As in 20261203150000_console_admin_views, through the key space and member number.
CREATE OR REPLACE FUNCTION member_health_facts()
    RETURNS TABLE (member_id uuid, last_submission_at timestamptz, indicators_held bigint,
                   endpoints int, disabled_endpoints int, deliveries_day int, failed_day int,
                   oldest_undelivered_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    WITH caller AS (
        SELECT 1 FROM members
         WHERE id = current_member_id() AND role = 'ADMIN' AND status = 'ACTIVE'
    )
    SELECT m.id,
           (SELECT max(s.created_at) FROM submissions s WHERE s.member_id = m.id),
           (SELECT count(*) FROM indicators i WHERE i.member_no = m.member_no AND i.expires_at > now()),
           (SELECT count(*)::int FROM webhook_endpoints e WHERE e.member_id = m.id),
           (SELECT count(*)::int FROM webhook_endpoints e WHERE e.member_id = m.id AND e.status = 'DISABLED'),
           (SELECT count(*)::int FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
             WHERE e.member_id = m.id AND d.created_at >= now() - interval '1 day'),
           (SELECT count(*)::int FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
             WHERE e.member_id = m.id AND d.created_at >= now() - interval '1 day'
               AND (d.status = 'FAILED' OR (d.status = 'PENDING' AND d.attempt_count > 0))),
           (SELECT min(d.created_at) FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
             WHERE e.member_id = m.id AND d.status <> 'SUCCEEDED')
      FROM members m
     WHERE EXISTS (SELECT 1 FROM caller)
    $$;

-- One figure of the federation report for [period_from, period_to): its
-- value and how many distinct members it is drawn from (the API withholds a
-- figure drawn from fewer than MATCH_MIN_MEMBERS). `type` is NULL for
-- figures across all types; a figure with nothing to count has no row.
CREATE OR REPLACE FUNCTION federation_report_facts(period_from timestamptz, period_to timestamptz)
    RETURNS TABLE (figure text, type "IndicatorType", value float8, members int)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    WITH caller AS (
        SELECT 1 FROM members
         WHERE id = current_member_id() AND role = 'ADMIN' AND status = 'ACTIVE'
    ), held AS (
        SELECT k.type, i.member_no AS member_id FROM indicators i JOIN key_spaces k ON k.id = i.key_space
         WHERE i.first_seen_at >= period_from AND i.first_seen_at < period_to AND EXISTS (SELECT 1 FROM caller)
    ), matched AS (
        SELECT mt.id, mt.type, mt.status, mt.created_at, mt.first_seen_at FROM matches mt
         WHERE mt.created_at >= period_from AND mt.created_at < period_to AND EXISTS (SELECT 1 FROM caller)
    ), period_alerts AS (
        SELECT a.member_id, a.verdict FROM alerts a
         WHERE a.created_at >= period_from AND a.created_at < period_to AND EXISTS (SELECT 1 FROM caller)
    )
    SELECT 'indicators', h.type, count(*)::float8, count(DISTINCT h.member_id)::int FROM held h GROUP BY h.type
    UNION ALL
    SELECT 'matches', mt.type, count(DISTINCT mt.id)::float8, count(DISTINCT a.member_id)::int
      FROM matched mt JOIN alerts a ON a.match_id = mt.id GROUP BY mt.type
    UNION ALL
    SELECT 'median_seconds_to_match', NULL,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM mt.created_at - mt.first_seen_at))::float8,
           (SELECT count(DISTINCT a.member_id)::int FROM alerts a JOIN matched m2 ON m2.id = a.match_id)
      FROM matched mt HAVING count(*) > 0
    UNION ALL
    SELECT 'alerts', NULL, count(*)::float8, count(DISTINCT pa.member_id)::int FROM period_alerts pa HAVING count(*) > 0
    UNION ALL
    SELECT 'alerts_confirmed', NULL, count(*)::float8, count(DISTINCT pa.member_id)::int
      FROM period_alerts pa WHERE pa.verdict = 'CONFIRMED_ABUSE' HAVING count(*) > 0
    UNION ALL
    SELECT 'alerts_false_positive', NULL, count(*)::float8, count(DISTINCT pa.member_id)::int
      FROM period_alerts pa WHERE pa.verdict = 'FALSE_POSITIVE' HAVING count(*) > 0
    UNION ALL
    SELECT 'common', NULL, count(DISTINCT mt.id)::float8, count(DISTINCT a.member_id)::int
      FROM matched mt JOIN alerts a ON a.match_id = mt.id WHERE mt.status = 'COMMON' HAVING count(*) > 0
    UNION ALL
    SELECT 'suppressed', NULL, count(*)::float8, NULL
      FROM suppressed_tokens st
     WHERE st.created_at >= period_from AND st.created_at < period_to AND EXISTS (SELECT 1 FROM caller)
    HAVING count(*) > 0
    UNION ALL
    SELECT 'active_members', NULL, count(DISTINCT s.member_id)::float8, count(DISTINCT s.member_id)::int
      FROM submissions s
     WHERE s.created_at >= period_from AND s.created_at < period_to AND EXISTS (SELECT 1 FROM caller)
    HAVING count(*) > 0
    $$;

-- Members that disclosed their identity on indicators of the period, with
-- their own figures for those indicators: the only per-member lines.
CREATE OR REPLACE FUNCTION federation_report_disclosed(period_from timestamptz, period_to timestamptz)
    RETURNS TABLE (member_id uuid, name text, indicators bigint, matched bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    SELECT m.id, m.name::text, count(*),
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM matches mt
                                          WHERE mt.type = k.type AND mt.key_epoch = k.key_epoch AND mt.token = i.token))
      FROM indicators i JOIN key_spaces k ON k.id = i.key_space JOIN members m ON m.member_no = i.member_no
     WHERE i.disclose_identity AND i.first_seen_at >= period_from AND i.first_seen_at < period_to
       AND EXISTS (SELECT 1 FROM members c WHERE c.id = current_member_id() AND c.role = 'ADMIN' AND c.status = 'ACTIVE')
     GROUP BY m.id, m.name
    $$;


ANALYZE key_spaces;
ANALYZE indicators;
