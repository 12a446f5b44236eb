-- Similar prompt templates (issue 17): members store keyed MinHash
-- signatures of templates, 32 band tokens each; the worker finds signatures of
-- different members that share at least SIMILARITY_MIN_SHARED_BANDS band
-- tokens and alerts both holders through the same alerts table.
CREATE TYPE "MatchKind" AS ENUM ('EXACT', 'SIMILAR');

-- One call of submitTemplateSignatures, kept for idempotency (apart from
-- submissions, so a key used for indicators never replays as signatures).
CREATE TABLE template_signature_submissions (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    member_id uuid NOT NULL,
    idempotency_key varchar(128) NOT NULL,
    request_hash bytea NOT NULL,
    accepted integer NOT NULL,
    duplicates integer NOT NULL,
    created_at timestamptz(6) NOT NULL DEFAULT now(),
    CONSTRAINT template_signature_submissions_pkey PRIMARY KEY (id),
    CONSTRAINT template_signature_submissions_member_id_fkey FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX template_signature_submissions_member_id_idempotency_key_key ON template_signature_submissions (member_id, idempotency_key);
CREATE INDEX template_signature_submissions_created_at_idx ON template_signature_submissions (created_at);

-- A member's record of one signature: at most one per (member, epoch,
-- digest), where digest is SHA-256 over the 32 raw band tokens in band order.
-- It counts while expires_at is in the future; retraction sets expires_at to
-- now() and the worker deletes it once its neighbours are re-evaluated.
CREATE TABLE template_signatures (
    observed_at timestamptz(6) NOT NULL,
    first_seen_at timestamptz(6) NOT NULL DEFAULT now(),
    last_seen_at timestamptz(6) NOT NULL DEFAULT now(),
    expires_at timestamptz(6) NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    member_id uuid NOT NULL,
    submission_id uuid NOT NULL,
    confidence smallint NOT NULL,
    disclose_identity boolean NOT NULL DEFAULT false,
    key_epoch varchar(32) NOT NULL,
    digest bytea NOT NULL,
    external_ref varchar(256),
    CONSTRAINT template_signatures_pkey PRIMARY KEY (id),
    CONSTRAINT template_signatures_digest_length CHECK (octet_length(digest) = 32),
    CONSTRAINT template_signatures_member_id_fkey FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX template_signatures_member_id_key_epoch_digest_key ON template_signatures (member_id, key_epoch, digest);
CREATE INDEX template_signatures_submission_id_idx ON template_signatures (submission_id);
CREATE INDEX template_signatures_expires_at_idx ON template_signatures (expires_at);
CREATE INDEX template_signatures_member_id_external_ref_idx ON template_signatures (member_id, external_ref);

-- The 32 band tokens of each signature. The primary key, led by (epoch,
-- token), is the candidate lookup: one index probe per band, whatever the
-- number of stored signatures. The token already binds its band index.
CREATE TABLE template_signature_bands (
    key_epoch varchar(32) NOT NULL,
    token bytea NOT NULL,
    signature_id uuid NOT NULL,
    member_id uuid NOT NULL,
    band smallint NOT NULL,
    CONSTRAINT template_signature_bands_pkey PRIMARY KEY (key_epoch, token, signature_id),
    CONSTRAINT template_signature_bands_token_length CHECK (octet_length(token) = 32),
    CONSTRAINT template_signature_bands_band_range CHECK (band >= 0 AND band < 32),
    CONSTRAINT template_signature_bands_signature_id_fkey FOREIGN KEY (signature_id) REFERENCES template_signatures (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX template_signature_bands_signature_id_band_key ON template_signature_bands (signature_id, band);

-- One member's signature as the worker last judged it against the others:
-- keyed like the signature (member, epoch, digest), so a signature retracted
-- and submitted again reopens the same alert. similar_ids names the other
-- members' signatures that counted; best_shared is the most bands one shared.
CREATE TABLE similar_matches (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    member_id uuid NOT NULL,
    key_epoch varchar(32) NOT NULL,
    digest bytea NOT NULL,
    status "MatchStatus" NOT NULL DEFAULT 'OPEN',
    holder_count integer NOT NULL,
    best_shared integer NOT NULL,
    similar_ids uuid[] DEFAULT '{}',
    version integer NOT NULL DEFAULT 1,
    first_seen_at timestamptz(6) NOT NULL,
    last_seen_at timestamptz(6) NOT NULL,
    created_at timestamptz(6) NOT NULL DEFAULT now(),
    updated_at timestamptz(6) NOT NULL DEFAULT now(),
    CONSTRAINT similar_matches_pkey PRIMARY KEY (id),
    CONSTRAINT similar_matches_member_id_fkey FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX similar_matches_member_id_key_epoch_digest_key ON similar_matches (member_id, key_epoch, digest);

-- An alert is on an exact match (match_id) or on a similar one
-- (similar_match_id), never both; EXACT alerts are unchanged.
ALTER TABLE alerts ALTER COLUMN match_id DROP NOT NULL;
ALTER TABLE alerts ADD COLUMN similar_match_id uuid;
ALTER TABLE alerts ADD COLUMN match_kind "MatchKind" NOT NULL DEFAULT 'EXACT';
ALTER TABLE alerts ADD COLUMN similarity double precision;
ALTER TABLE alerts ADD CONSTRAINT alerts_similar_match_id_fkey FOREIGN KEY (similar_match_id) REFERENCES similar_matches (id) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE alerts ADD CONSTRAINT alerts_match_kind_reference CHECK (
    (match_kind = 'EXACT' AND match_id IS NOT NULL AND similar_match_id IS NULL AND similarity IS NULL)
    OR (match_kind = 'SIMILAR' AND match_id IS NULL AND similar_match_id IS NOT NULL));
CREATE UNIQUE INDEX alerts_similar_match_id_member_id_key ON alerts (similar_match_id, member_id);

-- ---------------------------------------------------------------------------
-- Privileges and row-level security, as in the row_level_security migration.
-- The API stores and retracts (an UPDATE of expires_at) its member's own
-- signatures and bands; the worker reads every signature, deletes expired
-- ones, and writes similar matches and their alerts.
-- ---------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON template_signature_submissions TO sigfed_api;
GRANT SELECT, INSERT, UPDATE ON template_signatures TO sigfed_api;
GRANT SELECT, INSERT ON template_signature_bands TO sigfed_api;
GRANT SELECT ON similar_matches TO sigfed_api;
-- The expiry sweep's SELECT ... FOR UPDATE needs UPDATE on some column.
GRANT SELECT, DELETE, UPDATE (expires_at) ON template_signatures TO sigfed_worker;
GRANT SELECT ON template_signature_bands TO sigfed_worker;
GRANT SELECT, INSERT, UPDATE ON similar_matches TO sigfed_worker;

ALTER TABLE template_signature_submissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY template_signature_submissions_of_member ON template_signature_submissions TO sigfed_api
    USING (member_id = current_member_id()) WITH CHECK (member_id = current_member_id());

ALTER TABLE template_signatures ENABLE ROW LEVEL SECURITY;
CREATE POLICY template_signatures_of_member ON template_signatures TO sigfed_api
    USING (member_id = current_member_id()) WITH CHECK (member_id = current_member_id());
CREATE POLICY template_signatures_of_worker ON template_signatures TO sigfed_worker USING (true) WITH CHECK (true);

ALTER TABLE template_signature_bands ENABLE ROW LEVEL SECURITY;
CREATE POLICY template_signature_bands_of_member ON template_signature_bands TO sigfed_api
    USING (member_id = current_member_id()) WITH CHECK (member_id = current_member_id());
CREATE POLICY template_signature_bands_of_worker ON template_signature_bands TO sigfed_worker USING (true) WITH CHECK (true);

-- A similar match is one member's own: it sees it only through its own alert, like matches.
ALTER TABLE similar_matches ENABLE ROW LEVEL SECURITY;
CREATE POLICY similar_matches_of_member ON similar_matches FOR SELECT TO sigfed_api
    USING (member_id = current_member_id());
CREATE POLICY similar_matches_of_worker ON similar_matches TO sigfed_worker USING (true) WITH CHECK (true);

-- For the calling member's own SIMILAR alerts, what alert_view_facts gives
-- for EXACT ones: its own signature's reference, the disclosed names of the
-- other members whose signatures counted, and how many of their alerts on
-- those signatures carry each verdict. Never a band of another member.
CREATE FUNCTION similar_alert_view_facts(alert_ids uuid[])
    RETURNS TABLE (alert_id uuid, external_ref text, disclosed_holders text[],
                   confirmed_abuse int, false_positive int, under_review int)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    SELECT a.id,
           (SELECT own.external_ref::text FROM template_signatures own
             WHERE own.member_id = sm.member_id AND own.key_epoch = sm.key_epoch AND own.digest = sm.digest),
           COALESCE((SELECT array_agg(DISTINCT mb.name::text ORDER BY mb.name::text)
                       FROM template_signatures o JOIN members mb ON mb.id = o.member_id
                      WHERE o.id = ANY(sm.similar_ids) AND o.member_id <> a.member_id AND o.disclose_identity
                        AND o.expires_at > now() AND mb.status = 'ACTIVE'), '{}'),
           v.confirmed_abuse, v.false_positive, v.under_review
      FROM alerts a
      JOIN similar_matches sm ON sm.id = a.similar_match_id
     CROSS JOIN LATERAL (
           SELECT count(*) FILTER (WHERE oa.verdict = 'CONFIRMED_ABUSE')::int AS confirmed_abuse,
                  count(*) FILTER (WHERE oa.verdict = 'FALSE_POSITIVE')::int AS false_positive,
                  count(*) FILTER (WHERE oa.verdict = 'UNDER_REVIEW')::int AS under_review
             FROM template_signatures o
             JOIN similar_matches om ON om.member_id = o.member_id AND om.key_epoch = o.key_epoch AND om.digest = o.digest
             JOIN alerts oa ON oa.similar_match_id = om.id
            WHERE o.id = ANY(sm.similar_ids) AND oa.member_id <> a.member_id) v
     WHERE a.id = ANY(alert_ids) AND a.member_id = current_member_id()
    $$;

REVOKE ALL ON FUNCTION similar_alert_view_facts(uuid[]) FROM PUBLIC;
-- The worker reads alerts as their member sees them (webhook bodies) through the same view.
GRANT EXECUTE ON FUNCTION similar_alert_view_facts(uuid[]) TO sigfed_api, sigfed_worker;
