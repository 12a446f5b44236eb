-- Verdict counts kept on the match, so an alerts page reads three numbers
-- instead of counting the match's other alerts (and looking each one's
-- member up) for every alert it shows.
--
-- matches.verdict_* count the match's alerts whose member is ACTIVE, by
-- verdict; the page subtracts the reader's own. Kept exact by two
-- triggers in the writing transaction: one on alerts (a verdict set,
-- changed or cleared, an alert inserted or deleted), which takes a share
-- lock on the alert's member row so that a concurrent suspension or
-- reactivation waits for it (and it for them); one on members when a
-- member stops or starts being ACTIVE. Both change counts by deltas under
-- the match's row lock, so concurrent verdicts on one match add up.

ALTER TABLE matches
    ADD COLUMN verdict_confirmed_abuse integer NOT NULL DEFAULT 0,
    ADD COLUMN verdict_false_positive integer NOT NULL DEFAULT 0,
    ADD COLUMN verdict_under_review integer NOT NULL DEFAULT 0;

-- What one alert adds to its match's counts: `sign` for its verdict.
-- Called only by alerts_count_verdicts, as the tables' owner (no role is granted it).
CREATE FUNCTION match_verdict_add(match uuid, member uuid, verdict "Verdict", sign integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF match IS NULL OR verdict IS NULL THEN
        RETURN;
    END IF;
    -- FOR SHARE: a concurrent change of the member's status waits for this transaction, and this one for it.
    PERFORM 1 FROM members WHERE id = member AND status = 'ACTIVE' FOR SHARE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    UPDATE matches
       SET verdict_confirmed_abuse = verdict_confirmed_abuse + CASE WHEN verdict = 'CONFIRMED_ABUSE' THEN sign ELSE 0 END,
           verdict_false_positive = verdict_false_positive + CASE WHEN verdict = 'FALSE_POSITIVE' THEN sign ELSE 0 END,
           verdict_under_review = verdict_under_review + CASE WHEN verdict = 'UNDER_REVIEW' THEN sign ELSE 0 END
     WHERE id = match;
END
$$;
REVOKE ALL ON FUNCTION match_verdict_add(uuid, uuid, "Verdict", integer) FROM PUBLIC;

CREATE FUNCTION alerts_count_verdicts() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM match_verdict_add(OLD.match_id, OLD.member_id, OLD.verdict, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM match_verdict_add(NEW.match_id, NEW.member_id, NEW.verdict, 1);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION alerts_count_verdicts() FROM PUBLIC;

CREATE TRIGGER alerts_count_verdicts_insert AFTER INSERT ON alerts
    FOR EACH ROW WHEN (NEW.verdict IS NOT NULL AND NEW.match_id IS NOT NULL) EXECUTE FUNCTION alerts_count_verdicts();
CREATE TRIGGER alerts_count_verdicts_update AFTER UPDATE OF verdict, match_id, member_id ON alerts
    FOR EACH ROW WHEN ((OLD.verdict, OLD.match_id, OLD.member_id) IS DISTINCT FROM (NEW.verdict, NEW.match_id, NEW.member_id))
    EXECUTE FUNCTION alerts_count_verdicts();
CREATE TRIGGER alerts_count_verdicts_delete AFTER DELETE ON alerts
    FOR EACH ROW WHEN (OLD.verdict IS NOT NULL AND OLD.match_id IS NOT NULL) EXECUTE FUNCTION alerts_count_verdicts();

CREATE FUNCTION members_count_verdicts() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    sign integer := -1;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.status = 'ACTIVE' THEN
            sign := 1;
        END IF;
    END IF;
    -- The member's row is locked by this UPDATE: alerts_count_verdicts of its alerts waits for it, so the
    -- alerts read here (a snapshot taken now) are all that were counted or will be.
    UPDATE matches m
       SET verdict_confirmed_abuse = m.verdict_confirmed_abuse + sign * v.confirmed_abuse,
           verdict_false_positive = m.verdict_false_positive + sign * v.false_positive,
           verdict_under_review = m.verdict_under_review + sign * v.under_review
      FROM (SELECT a.match_id,
                   count(*) FILTER (WHERE a.verdict = 'CONFIRMED_ABUSE')::int AS confirmed_abuse,
                   count(*) FILTER (WHERE a.verdict = 'FALSE_POSITIVE')::int AS false_positive,
                   count(*) FILTER (WHERE a.verdict = 'UNDER_REVIEW')::int AS under_review
              FROM alerts a
             WHERE a.member_id = OLD.id AND a.verdict IS NOT NULL AND a.match_id IS NOT NULL
             GROUP BY a.match_id) v
     WHERE m.id = v.match_id;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION members_count_verdicts() FROM PUBLIC;

CREATE TRIGGER members_count_verdicts AFTER UPDATE OF status ON members
    FOR EACH ROW WHEN ((OLD.status = 'ACTIVE') IS DISTINCT FROM (NEW.status = 'ACTIVE'))
    EXECUTE FUNCTION members_count_verdicts();
-- BEFORE: the cascade that deletes the member's alerts runs after the row is gone, when
-- alerts_count_verdicts no longer finds the member ACTIVE; its verdicts are taken off here.
CREATE TRIGGER members_count_verdicts_delete BEFORE DELETE ON members
    FOR EACH ROW WHEN (OLD.status = 'ACTIVE')
    EXECUTE FUNCTION members_count_verdicts();

-- Backfill, under the same rule: the alerts of ACTIVE members, by verdict.
LOCK TABLE alerts, members IN SHARE ROW EXCLUSIVE MODE;
UPDATE matches m
   SET verdict_confirmed_abuse = v.confirmed_abuse, verdict_false_positive = v.false_positive,
       verdict_under_review = v.under_review
  FROM (SELECT a.match_id,
               count(*) FILTER (WHERE a.verdict = 'CONFIRMED_ABUSE')::int AS confirmed_abuse,
               count(*) FILTER (WHERE a.verdict = 'FALSE_POSITIVE')::int AS false_positive,
               count(*) FILTER (WHERE a.verdict = 'UNDER_REVIEW')::int AS under_review
          FROM alerts a JOIN members mb ON mb.id = a.member_id
         WHERE a.verdict IS NOT NULL AND a.match_id IS NOT NULL AND mb.status = 'ACTIVE'
         GROUP BY a.match_id) v
 WHERE m.id = v.match_id;

-- The page's verdict counts: the match's, less the reader's own verdict when it is counted
-- there (the reader is ACTIVE). Otherwise as in the alert_view_facts_match migration.
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
                  array_agg(mb.name::text ORDER BY mb.name)
                      FILTER (WHERE i.member_id <> a.member_id AND i.disclose_identity AND i.expires_at > now()
                                AND mb.status = 'ACTIVE') AS disclosed
             FROM indicators i
             LEFT JOIN LATERAL (SELECT mm.name, mm.status FROM members mm WHERE mm.id = i.member_id) mb ON true
            WHERE i.type = m.type AND i.key_epoch = m.key_epoch AND i.token = m.token) h
     WHERE a.member_id = current_member_id();
END
$$;
