-- The per-page lookups of the alerts list (alert_view_facts,
-- similar_alert_view_facts) in PL/pgSQL, same answers, same privileges.
--
-- Why: a LANGUAGE sql function that cannot be inlined (SECURITY DEFINER,
-- SET search_path) is planned again at every call, and a page calls both:
-- 1.2-1.5 ms of PostgreSQL CPU per page went to planning them, even for an
-- empty array. PL/pgSQL keeps the plan of RETURN QUERY per connection, and
-- returns at once for an empty array (most pages hold no SIMILAR alert).
--
-- The queries are written in the shape an index answers whatever the
-- statistics say: the alerts by primary key from the given ids; each token's
-- holders read once (own reference and disclosed names from the same rows);
-- the verdict counts from the match's alerts that carry a verdict, each
-- holder's status looked up by key (not every member against every match).

CREATE OR REPLACE FUNCTION alert_view_facts(alert_ids uuid[])
    RETURNS TABLE (alert_id uuid, external_ref text, disclosed_holders text[],
                   confirmed_abuse int, false_positive int, under_review int)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF cardinality(alert_ids) IS NULL OR cardinality(alert_ids) = 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT a.id, h.external_ref, COALESCE(h.disclosed, '{}'),
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

CREATE OR REPLACE FUNCTION similar_alert_view_facts(alert_ids uuid[])
    RETURNS TABLE (alert_id uuid, external_ref text, disclosed_holders text[],
                   confirmed_abuse int, false_positive int, under_review int)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF cardinality(alert_ids) IS NULL OR cardinality(alert_ids) = 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT a.id,
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
