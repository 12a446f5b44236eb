-- The alerts list reads its alerts' match facts (type, key epoch, token,
-- first and last seen) from alert_view_facts and similar_alert_view_facts,
-- which already read the match row by key, instead of joining matches and
-- similar_matches again in the API's role.
--
-- Why: in the API's role every matches row passes its row-security policy,
-- a subplan that looks the member's alert up again (7 buffers per alert, a
-- third of a page's); similar_matches was hash-joined from all of the
-- member's similar matches. The functions return rows only for the calling
-- member's own alerts, so the match facts they add are the member's own.
-- Same answers otherwise; same privileges.

DROP FUNCTION alert_view_facts(uuid[]);
CREATE FUNCTION alert_view_facts(alert_ids uuid[])
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
           v.confirmed_abuse, v.false_positive, v.under_review
      FROM (SELECT DISTINCT x.id FROM unnest(alert_ids) AS x(id)) AS ids
      JOIN alerts a ON a.id = ids.id
      JOIN matches m ON m.id = a.match_id
     CROSS JOIN LATERAL (
           SELECT max(i.external_ref::text) FILTER (WHERE i.member_id = a.member_id) AS external_ref,
                  array_agg(mb.name::text ORDER BY mb.name)
                      FILTER (WHERE i.member_id <> a.member_id AND i.disclose_identity AND i.expires_at > now()
                                AND mb.status = 'ACTIVE') AS disclosed
             FROM indicators i
             LEFT JOIN LATERAL (SELECT mm.name, mm.status FROM members mm WHERE mm.id = i.member_id) mb ON true
            WHERE i.type = m.type AND i.key_epoch = m.key_epoch AND i.token = m.token) h
     CROSS JOIN LATERAL (
           SELECT count(*) FILTER (WHERE o.verdict = 'CONFIRMED_ABUSE')::int AS confirmed_abuse,
                  count(*) FILTER (WHERE o.verdict = 'FALSE_POSITIVE')::int AS false_positive,
                  count(*) FILTER (WHERE o.verdict = 'UNDER_REVIEW')::int AS under_review
             FROM alerts o
            WHERE o.match_id = a.match_id AND o.member_id <> a.member_id AND o.verdict IS NOT NULL
              AND (SELECT om.status FROM members om WHERE om.id = o.member_id) = 'ACTIVE') v
     WHERE a.member_id = current_member_id();
END
$$;
REVOKE ALL ON FUNCTION alert_view_facts(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION alert_view_facts(uuid[]) TO sigfed_api, sigfed_worker;

DROP FUNCTION similar_alert_view_facts(uuid[]);
CREATE FUNCTION similar_alert_view_facts(alert_ids uuid[])
    RETURNS TABLE (alert_id uuid, key_epoch text, digest bytea,
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
    SELECT a.id, sm.key_epoch::text, sm.digest, sm.first_seen_at, sm.last_seen_at,
           (SELECT own.external_ref::text FROM template_signatures own
             WHERE own.member_id = sm.member_id AND own.key_epoch = sm.key_epoch AND own.digest = sm.digest),
           COALESCE((SELECT array_agg(DISTINCT mb.name::text ORDER BY mb.name::text)
                       FROM template_signatures o JOIN members mb ON mb.id = o.member_id
                      WHERE o.id = ANY(sm.similar_ids) AND o.member_id <> a.member_id AND o.disclose_identity
                        AND o.expires_at > now() AND mb.status = 'ACTIVE'), '{}'),
           v.confirmed_abuse, v.false_positive, v.under_review
      FROM (SELECT DISTINCT x.id FROM unnest(alert_ids) AS x(id)) AS ids
      JOIN alerts a ON a.id = ids.id
      JOIN similar_matches sm ON sm.id = a.similar_match_id
     CROSS JOIN LATERAL (
           SELECT count(*) FILTER (WHERE oa.verdict = 'CONFIRMED_ABUSE')::int AS confirmed_abuse,
                  count(*) FILTER (WHERE oa.verdict = 'FALSE_POSITIVE')::int AS false_positive,
                  count(*) FILTER (WHERE oa.verdict = 'UNDER_REVIEW')::int AS under_review
             FROM template_signatures o
             JOIN similar_matches om ON om.member_id = o.member_id AND om.key_epoch = o.key_epoch AND om.digest = o.digest
             JOIN alerts oa ON oa.similar_match_id = om.id
            WHERE o.id = ANY(sm.similar_ids) AND oa.member_id <> a.member_id) v
     WHERE a.member_id = current_member_id();
END
$$;
REVOKE ALL ON FUNCTION similar_alert_view_facts(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION similar_alert_view_facts(uuid[]) TO sigfed_api, sigfed_worker;
