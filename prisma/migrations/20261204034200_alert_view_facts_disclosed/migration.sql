-- alert_view_facts looks a holder's member row up only for a holder that
-- could be named (another member, disclosing, not expired), instead of for
-- every holder of the token, the reader included: most holders never
-- disclose, and each lookup was two or three buffers per holder per alert
-- shown. What a member sees is unchanged: the names of the other ACTIVE
-- holders that disclose, with a live indicator. Otherwise as in the
-- match_verdict_counts migration.
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
     CROSS JOIN (SELECT EXISTS (SELECT 1 FROM members WHERE id = current_member_id() AND status = 'ACTIVE') AS active) me
     CROSS JOIN LATERAL (
           SELECT max(i.external_ref::text) FILTER (WHERE i.member_id = a.member_id) AS external_ref,
                  array_agg(d.name ORDER BY d.name) FILTER (WHERE d.name IS NOT NULL) AS disclosed
             FROM indicators i
            -- The CASE reads the member only when the holder could be named (members.name is NOT NULL).
            CROSS JOIN LATERAL (
                  SELECT CASE WHEN i.member_id <> a.member_id AND i.disclose_identity AND i.expires_at > now()
                              THEN (SELECT mb.name::text FROM members mb WHERE mb.id = i.member_id AND mb.status = 'ACTIVE')
                         END AS name) d
            WHERE i.type = m.type AND i.key_epoch = m.key_epoch AND i.token = m.token) h
     WHERE a.member_id = current_member_id();
END
$$;
