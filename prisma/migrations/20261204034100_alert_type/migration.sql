-- The alert's token type, stored on the alert as a code, so a page
-- filtered by type is an index range of the member's alerts of that type
-- in list order instead of a scan of all the member's alerts, each looked
-- up in matches (through its row-security subplan) and dropped when of
-- another type: a member with 10,000 alerts, none of the type, read all
-- 10,000 for every empty page.
--
-- A code (smallint), not the enum: under row-level security PostgreSQL
-- uses a query's condition in an index scan only when its operator is
-- leakproof, and the enum's equality is not; smallint's is. The code of a
-- type is indicator_type_code's; a migration that adds a type to
-- "IndicatorType" gives it a new code there (until then an alert of that
-- type fails its insert on the NOT NULL, never gets a wrong code).
--
-- The type is the match's (an EXACT alert), or PROMPT_TEMPLATE (a SIMILAR
-- alert, whose token is a signature digest). A match's type never changes
-- and an alert's match is set when it is created, so the code is set at the
-- insert, by the trigger below, from the match, whatever the writer gave:
-- the stored code is never a writer's claim. The column's default only lets
-- writers leave it out.

CREATE FUNCTION indicator_type_code(t "IndicatorType") RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE t WHEN 'PAYMENT_FINGERPRINT' THEN 1 WHEN 'IP_RANGE' THEN 2 WHEN 'PROMPT_TEMPLATE' THEN 3
                  WHEN 'ACCOUNT_SIGNAL' THEN 4 END;

ALTER TABLE alerts ADD COLUMN type_code smallint NOT NULL DEFAULT 3;

-- Sets an alert's type code from its match. Runs as the tables' owner:
-- the inserting role may not see the match through row-level security.
CREATE FUNCTION alerts_set_type_code() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    NEW.type_code := indicator_type_code(COALESCE((SELECT m.type FROM matches m WHERE m.id = NEW.match_id), 'PROMPT_TEMPLATE'));
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION alerts_set_type_code() FROM PUBLIC;

UPDATE alerts a SET type_code = indicator_type_code(m.type)
  FROM matches m WHERE m.id = a.match_id AND a.type_code <> indicator_type_code(m.type);

CREATE TRIGGER alerts_set_type_code_insert BEFORE INSERT ON alerts
    FOR EACH ROW EXECUTE FUNCTION alerts_set_type_code();
-- No writer moves an alert to another match, but the stored code follows if one does.
CREATE TRIGGER alerts_set_type_code_update BEFORE UPDATE OF match_id, similar_match_id, type_code ON alerts
    FOR EACH ROW WHEN ((OLD.match_id, OLD.similar_match_id, OLD.type_code) IS DISTINCT FROM (NEW.match_id, NEW.similar_match_id, NEW.type_code))
    EXECUTE FUNCTION alerts_set_type_code();

-- The list's two orders within one type.
CREATE INDEX "alerts_member_id_type_code_created_at_id_idx" ON "alerts"("member_id", "type_code", "created_at" DESC, "id" DESC);
CREATE INDEX "alerts_member_id_type_code_priority_rank_id_idx" ON "alerts"("member_id", "type_code", "priority_rank" DESC, "id" DESC);
