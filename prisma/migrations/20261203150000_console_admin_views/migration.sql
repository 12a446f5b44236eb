-- Cross-member facts for the console's operator pages (issue 19), in the
-- pattern of member_activity_counts: SECURITY DEFINER with a fixed
-- search_path, answering an active admin's transaction only (anyone else
-- gets no rows). Aggregates only; the API applies k-anonymity to the report.

-- Per member: last submission, indicators held now, webhook health over the
-- last day and the oldest delivery still waiting.
CREATE FUNCTION member_health_facts()
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
           (SELECT count(*) FROM indicators i WHERE i.member_id = m.id AND i.expires_at > now()),
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
CREATE FUNCTION federation_report_facts(period_from timestamptz, period_to timestamptz)
    RETURNS TABLE (figure text, type "IndicatorType", value float8, members int)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    WITH caller AS (
        SELECT 1 FROM members
         WHERE id = current_member_id() AND role = 'ADMIN' AND status = 'ACTIVE'
    ), held AS (
        SELECT i.type, i.member_id FROM indicators i
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
CREATE FUNCTION federation_report_disclosed(period_from timestamptz, period_to timestamptz)
    RETURNS TABLE (member_id uuid, name text, indicators bigint, matched bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    SELECT m.id, m.name::text, count(*),
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM matches mt
                                          WHERE mt.type = i.type AND mt.key_epoch = i.key_epoch AND mt.token = i.token))
      FROM indicators i JOIN members m ON m.id = i.member_id
     WHERE i.disclose_identity AND i.first_seen_at >= period_from AND i.first_seen_at < period_to
       AND EXISTS (SELECT 1 FROM members c WHERE c.id = current_member_id() AND c.role = 'ADMIN' AND c.status = 'ACTIVE')
     GROUP BY m.id, m.name
    $$;

REVOKE ALL ON FUNCTION member_health_facts(), federation_report_facts(timestamptz, timestamptz),
    federation_report_disclosed(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION member_health_facts(), federation_report_facts(timestamptz, timestamptz),
    federation_report_disclosed(timestamptz, timestamptz) TO sigfed_api;
