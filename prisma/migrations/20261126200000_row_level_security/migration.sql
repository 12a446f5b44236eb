-- Row-level security (issue 7): a second line of member isolation under the
-- application's own filters. The API connects as sigfed_api, which owns
-- nothing, cannot bypass RLS, and sees in the member-owned tables only the
-- rows of the member its transaction set (`sigfed.member_id`, set by
-- PrismaService.asMember). The worker connects as sigfed_worker, which sees
-- every member's rows (correlation and delivery work across members) but has
-- only the privileges its jobs use. The migrating user keeps ownership (RLS is
-- not FORCEd, so the owner is not bound): migrations and operator commands.

-- Roles belong to the cluster, not the database: another database on this
-- server may have created them already, perhaps at the same moment.
DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['sigfed_api', 'sigfed_worker'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT', name);
            EXCEPTION
                WHEN duplicate_object OR unique_violation THEN NULL;
                WHEN insufficient_privilege THEN
                    RAISE EXCEPTION 'cannot create role %: the migrating user lacks CREATEROLE', name
                        USING HINT = 'create it first: CREATE ROLE ' || name || ' LOGIN PASSWORD ''...'' (docs/operations.md, "Database roles")';
            END;
        END IF;
        -- A role created by hand with powers that ignore RLS would defeat the point: refuse it.
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name AND (rolsuper OR rolbypassrls)) THEN
            RAISE EXCEPTION 'role % is a superuser or has BYPASSRLS; row-level security would not bind it', name
                USING HINT = 'ALTER ROLE ' || name || ' NOSUPERUSER NOBYPASSRLS';
        END IF;
    END LOOP;
END
$$;

GRANT USAGE ON SCHEMA public TO sigfed_api, sigfed_worker;

-- The member a transaction acts for; NULL when unset (and '' after a
-- transaction that set it ended on the same connection), so no row matches.
CREATE FUNCTION current_member_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('sigfed.member_id', true), '')::uuid $$;

-- ---------------------------------------------------------------------------
-- Privileges: what each role's code does, no more. No role but the owner has
-- DDL, TRUNCATE, REFERENCES or TRIGGER. Later migrations grant on the tables
-- they add (test/row-level-security.test.ts fails for a table without).
-- ---------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON members, member_keys, invitations, signing_keys TO sigfed_api;
-- No DELETE on indicators: retraction goes through retract_own_indicators (below).
GRANT SELECT, INSERT, UPDATE ON submissions, indicators TO sigfed_api;
GRANT SELECT ON matches TO sigfed_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON suppressed_tokens TO sigfed_api;
GRANT SELECT, UPDATE ON alerts TO sigfed_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints TO sigfed_api;
GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO sigfed_api;
GRANT SELECT ON webhook_delivery_attempts TO sigfed_api;
GRANT SELECT, INSERT ON webhook_signing_keys, outbox_events, audit_events TO sigfed_api;
GRANT USAGE ON SEQUENCE outbox_events_id_seq, audit_events_id_seq TO sigfed_api;

GRANT SELECT ON members, member_keys, suppressed_tokens TO sigfed_worker;
-- The expiry sweep deletes; its SELECT ... FOR UPDATE needs UPDATE on some column.
GRANT SELECT, DELETE, UPDATE (expires_at) ON indicators TO sigfed_worker;
GRANT SELECT, INSERT, UPDATE ON matches, alerts TO sigfed_worker;
GRANT SELECT, UPDATE ON webhook_endpoints TO sigfed_worker;
GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO sigfed_worker;
GRANT SELECT, INSERT ON webhook_delivery_attempts, webhook_signing_keys, audit_events TO sigfed_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON outbox_events TO sigfed_worker;
GRANT USAGE ON SEQUENCE outbox_events_id_seq, audit_events_id_seq, webhook_delivery_attempts_id_seq TO sigfed_worker;

-- /readyz reads the migration ledger as the process's own role.
DO $$
BEGIN
    IF to_regclass('public._prisma_migrations') IS NOT NULL THEN
        GRANT SELECT ON "_prisma_migrations" TO sigfed_api, sigfed_worker;
    END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Policies. sigfed_api: the rows of current_member_id(), in USING (what it
-- sees, updates, deletes) and WITH CHECK (what it may write). sigfed_worker:
-- every row. Any other role without BYPASSRLS (and not the owner): none.
-- ---------------------------------------------------------------------------
ALTER TABLE indicators ENABLE ROW LEVEL SECURITY;
CREATE POLICY indicators_of_member ON indicators TO sigfed_api
    USING (member_id = current_member_id()) WITH CHECK (member_id = current_member_id());
CREATE POLICY indicators_of_worker ON indicators TO sigfed_worker USING (true) WITH CHECK (true);

-- The worker has no privilege on submissions, hence no policy either.
ALTER TABLE submissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY submissions_of_member ON submissions TO sigfed_api
    USING (member_id = current_member_id()) WITH CHECK (member_id = current_member_id());

ALTER TABLE alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY alerts_of_member ON alerts TO sigfed_api
    USING (member_id = current_member_id()) WITH CHECK (member_id = current_member_id());
CREATE POLICY alerts_of_worker ON alerts TO sigfed_worker USING (true) WITH CHECK (true);

-- A match is cross-member by nature: a member sees one only through its own alert on it.
ALTER TABLE matches ENABLE ROW LEVEL SECURITY;
CREATE POLICY matches_of_member ON matches FOR SELECT TO sigfed_api
    USING (EXISTS (SELECT 1 FROM alerts a WHERE a.match_id = matches.id AND a.member_id = current_member_id()));
CREATE POLICY matches_of_worker ON matches TO sigfed_worker USING (true) WITH CHECK (true);

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY webhook_endpoints_of_member ON webhook_endpoints TO sigfed_api
    USING (member_id = current_member_id()) WITH CHECK (member_id = current_member_id());
CREATE POLICY webhook_endpoints_of_worker ON webhook_endpoints TO sigfed_worker USING (true) WITH CHECK (true);

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_of_member ON webhook_deliveries TO sigfed_api
    USING (EXISTS (SELECT 1 FROM webhook_endpoints e
                    WHERE e.id = webhook_deliveries.endpoint_id AND e.member_id = current_member_id()))
    WITH CHECK (EXISTS (SELECT 1 FROM webhook_endpoints e
                         WHERE e.id = webhook_deliveries.endpoint_id AND e.member_id = current_member_id()));
CREATE POLICY webhook_deliveries_of_worker ON webhook_deliveries TO sigfed_worker USING (true) WITH CHECK (true);

ALTER TABLE webhook_delivery_attempts ENABLE ROW LEVEL SECURITY;
CREATE POLICY webhook_delivery_attempts_of_member ON webhook_delivery_attempts TO sigfed_api
    USING (EXISTS (SELECT 1 FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                    WHERE d.id = webhook_delivery_attempts.delivery_id AND e.member_id = current_member_id()));
CREATE POLICY webhook_delivery_attempts_of_worker ON webhook_delivery_attempts TO sigfed_worker USING (true) WITH CHECK (true);

-- ---------------------------------------------------------------------------
-- Narrow functions, SECURITY DEFINER (run as the owner, whom RLS does not
-- bind) with a fixed search_path. Each takes no member id: it acts for
-- current_member_id(), the member of the calling transaction, and for no one
-- when none is set.
--
-- Cross-member facts the API shows, and nothing more: aggregates and the
-- names members chose to disclose, never rows.
--
-- And the two lookups of indicators by (type, key_epoch, token): under RLS a
-- condition of the API's role may use an index only if its operator is
-- LEAKPROOF, which enum equality is not, so the primary key (which leads with
-- the enum `type`) could not serve them and each became a sequential scan of
-- the largest table. In these functions the owner's plan uses the key.
-- ---------------------------------------------------------------------------

-- For the calling member's own alerts: its own reference for the token, who
-- among the other holders disclosed their name, and how many other holders
-- gave each verdict.
CREATE FUNCTION alert_view_facts(alert_ids uuid[])
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
             FROM alerts o WHERE o.match_id = a.match_id AND o.member_id <> a.member_id) v
     WHERE a.id = ANY(alert_ids) AND a.member_id = current_member_id()
    $$;

-- Per-member submission volumes and alerts created since `since`: for an
-- active admin's transaction only (memberActivity); anyone else gets no rows.
CREATE FUNCTION member_activity_counts(since timestamptz)
    RETURNS TABLE (member_id uuid, submissions int, indicators float8, new_indicators float8, alerts int)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    WITH caller AS (
        SELECT 1 FROM members
         WHERE id = current_member_id() AND role = 'ADMIN' AND status = 'ACTIVE'
    ), subs AS (
        SELECT s.member_id, count(*)::int AS submissions,
               sum(s.accepted + s.duplicates)::float8 AS indicators, sum(s.accepted)::float8 AS new_indicators
          FROM submissions s
         WHERE s.created_at >= since AND EXISTS (SELECT 1 FROM caller)
         GROUP BY s.member_id
    ), made AS (
        SELECT a.member_id, count(*)::int AS alerts
          FROM alerts a
         WHERE a.created_at >= since AND EXISTS (SELECT 1 FROM caller)
         GROUP BY a.member_id
    )
    SELECT COALESCE(s.member_id, a.member_id), COALESCE(s.submissions, 0), COALESCE(s.indicators, 0),
           COALESCE(s.new_indicators, 0), COALESCE(a.alerts, 0)
      FROM subs s FULL JOIN made a ON a.member_id = s.member_id
    $$;

-- retractIndicators: deletes the calling member's records of these tokens
-- (hex), only its own; returns the tokens it deleted.
CREATE FUNCTION retract_own_indicators(indicator_type "IndicatorType", epoch text, hex_tokens text[])
    RETURNS TABLE (retracted text)
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    DELETE FROM indicators i
     WHERE i.member_id = current_member_id() AND i.type = indicator_type AND i.key_epoch = epoch
       AND i.token IN (SELECT decode(t, 'hex') FROM unnest(hex_tokens) AS t)
    RETURNING encode(i.token, 'hex')
    $$;

-- Functions are executable by PUBLIC unless revoked.
REVOKE ALL ON FUNCTION current_member_id(), alert_view_facts(uuid[]), member_activity_counts(timestamptz),
    retract_own_indicators("IndicatorType", text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION current_member_id() TO sigfed_api, sigfed_worker;
-- The worker reads alerts as their member sees them (webhook bodies) through the same view.
GRANT EXECUTE ON FUNCTION alert_view_facts(uuid[]) TO sigfed_api, sigfed_worker;
GRANT EXECUTE ON FUNCTION member_activity_counts(timestamptz), retract_own_indicators("IndicatorType", text, text[]) TO sigfed_api;
