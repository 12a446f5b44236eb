-- Campaigns (issue 16): bundles of tokens a member saw together on one of its
-- accounts, and the campaigns the worker links them into across members.
-- Every member-scoped table is under row-level security: the API's role sees
-- and writes only the scoped member's bundles, and reads a campaign only
-- through its own membership row. What a member learns of other members
-- (counts, disclosed names) is computed by the worker and stored on the
-- campaign or returned by campaign_disclosed_names.
CREATE TYPE "CampaignStatus" AS ENUM ('ACTIVE', 'CLOSED');

CREATE TABLE campaigns (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at timestamptz(6) NOT NULL DEFAULT now(),
    updated_at timestamptz(6) NOT NULL DEFAULT now(),
    first_seen_at timestamptz(6) NOT NULL,
    last_seen_at timestamptz(6) NOT NULL,
    closed_at timestamptz(6),
    over_cap_at timestamptz(6),
    status "CampaignStatus" NOT NULL DEFAULT 'ACTIVE',
    version integer NOT NULL DEFAULT 1,
    member_count integer NOT NULL,
    bundle_count integer NOT NULL,
    token_counts jsonb NOT NULL DEFAULT '{}',
    fingerprint bytea,
    CONSTRAINT campaigns_pkey PRIMARY KEY (id)
);
CREATE INDEX campaigns_over_cap_at_idx ON campaigns (over_cap_at);

CREATE TABLE campaign_members (
    campaign_id uuid NOT NULL,
    member_id uuid NOT NULL,
    bundle_count integer NOT NULL,
    disclosed boolean NOT NULL DEFAULT false,
    CONSTRAINT campaign_members_pkey PRIMARY KEY (campaign_id, member_id),
    CONSTRAINT campaign_members_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT campaign_members_member_id_fkey FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX campaign_members_member_id_idx ON campaign_members (member_id);

CREATE TABLE bundles (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    observed_at timestamptz(6) NOT NULL,
    created_at timestamptz(6) NOT NULL DEFAULT now(),
    updated_at timestamptz(6) NOT NULL DEFAULT now(),
    member_id uuid NOT NULL,
    submission_id uuid NOT NULL,
    campaign_id uuid,
    direct_match boolean NOT NULL DEFAULT false,
    bundle_ref varchar(256) NOT NULL,
    CONSTRAINT bundles_pkey PRIMARY KEY (id),
    CONSTRAINT bundles_member_id_fkey FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT bundles_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX bundles_member_id_bundle_ref_key ON bundles (member_id, bundle_ref);
CREATE INDEX bundles_campaign_id_idx ON bundles (campaign_id);

CREATE TABLE bundle_tokens (
    expires_at timestamptz(6) NOT NULL,
    bundle_id uuid NOT NULL,
    member_id uuid NOT NULL,
    type "IndicatorType" NOT NULL,
    key_epoch varchar(32) NOT NULL,
    token bytea NOT NULL,
    CONSTRAINT bundle_tokens_pkey PRIMARY KEY (bundle_id, type, key_epoch, token),
    CONSTRAINT bundle_tokens_bundle_id_fkey FOREIGN KEY (bundle_id) REFERENCES bundles (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX bundle_tokens_type_key_epoch_token_idx ON bundle_tokens (type, key_epoch, token);
CREATE INDEX bundle_tokens_expires_at_idx ON bundle_tokens (expires_at);

-- The tokens that join a campaign's bundles, one row per member holding each:
-- `bridging` ones tie the member to other members (what it is shown as
-- linkingTokens); the others join its own bundles. The linker looks campaigns
-- up here by token when a token's standing changes.
CREATE TABLE campaign_linking_tokens (
    campaign_id uuid NOT NULL,
    member_id uuid NOT NULL,
    bridging boolean NOT NULL,
    type "IndicatorType" NOT NULL,
    key_epoch varchar(32) NOT NULL,
    token bytea NOT NULL,
    CONSTRAINT campaign_linking_tokens_pkey PRIMARY KEY (campaign_id, member_id, type, key_epoch, token),
    CONSTRAINT campaign_linking_tokens_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT campaign_linking_tokens_member_id_fkey FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX campaign_linking_tokens_type_key_epoch_token_idx ON campaign_linking_tokens (type, key_epoch, token);

-- What the linker must look at again: bundles stored, campaigns whose bundles
-- were replaced or retracted, tokens no bundle may hold any more. Written in
-- the transaction of the change, drained in the linker's, so a change is
-- linked if and only if it committed, however often its event is delivered.
CREATE TABLE campaign_link_queue (
    id bigserial NOT NULL,
    queued_at timestamptz(6) NOT NULL DEFAULT now(),
    bundle_id uuid,
    campaign_id uuid,
    type "IndicatorType",
    key_epoch varchar(32),
    token bytea,
    CONSTRAINT campaign_link_queue_pkey PRIMARY KEY (id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON bundles TO sigfed_api;
GRANT SELECT, INSERT, DELETE ON bundle_tokens TO sigfed_api;
GRANT SELECT ON campaigns, campaign_members, campaign_linking_tokens TO sigfed_api;
-- The API only queues work; it never reads the queue (RLS shows it no row).
GRANT SELECT, INSERT ON campaign_link_queue TO sigfed_api;
GRANT USAGE ON SEQUENCE campaign_link_queue_id_seq TO sigfed_api;

GRANT SELECT, UPDATE (campaign_id, direct_match) ON bundles TO sigfed_worker;
-- The expiry sweep deletes; its SELECT ... FOR UPDATE needs UPDATE on some column.
GRANT SELECT, DELETE, UPDATE (expires_at) ON bundle_tokens TO sigfed_worker;
GRANT SELECT, INSERT, UPDATE ON campaigns TO sigfed_worker;
GRANT SELECT, INSERT, DELETE ON campaign_members, campaign_linking_tokens TO sigfed_worker;
-- Taking items uses SELECT ... FOR UPDATE, which needs UPDATE on some column.
GRANT SELECT, INSERT, DELETE, UPDATE (queued_at) ON campaign_link_queue TO sigfed_worker;
GRANT USAGE ON SEQUENCE campaign_link_queue_id_seq TO sigfed_worker;

ALTER TABLE bundles ENABLE ROW LEVEL SECURITY;
CREATE POLICY bundles_of_member ON bundles TO sigfed_api
    USING (member_id = current_member_id()) WITH CHECK (member_id = current_member_id());
CREATE POLICY bundles_of_worker ON bundles TO sigfed_worker USING (true) WITH CHECK (true);

ALTER TABLE bundle_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY bundle_tokens_of_member ON bundle_tokens TO sigfed_api
    USING (member_id = current_member_id()) WITH CHECK (member_id = current_member_id());
CREATE POLICY bundle_tokens_of_worker ON bundle_tokens TO sigfed_worker USING (true) WITH CHECK (true);

ALTER TABLE campaign_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY campaign_members_of_member ON campaign_members FOR SELECT TO sigfed_api
    USING (member_id = current_member_id());
CREATE POLICY campaign_members_of_worker ON campaign_members TO sigfed_worker USING (true) WITH CHECK (true);

ALTER TABLE campaign_linking_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY campaign_linking_tokens_of_member ON campaign_linking_tokens FOR SELECT TO sigfed_api
    USING (member_id = current_member_id());
CREATE POLICY campaign_linking_tokens_of_worker ON campaign_linking_tokens TO sigfed_worker USING (true) WITH CHECK (true);

-- A campaign spans members by nature: a member sees one only through its own membership row.
ALTER TABLE campaigns ENABLE ROW LEVEL SECURITY;
CREATE POLICY campaigns_of_member ON campaigns FOR SELECT TO sigfed_api
    USING (EXISTS (SELECT 1 FROM campaign_members cm WHERE cm.campaign_id = campaigns.id AND cm.member_id = current_member_id()));
CREATE POLICY campaigns_of_worker ON campaigns TO sigfed_worker USING (true) WITH CHECK (true);

ALTER TABLE campaign_link_queue ENABLE ROW LEVEL SECURITY;
CREATE POLICY campaign_link_queue_by_member ON campaign_link_queue FOR INSERT TO sigfed_api
    WITH CHECK (current_member_id() IS NOT NULL);
CREATE POLICY campaign_link_queue_of_worker ON campaign_link_queue TO sigfed_worker USING (true) WITH CHECK (true);

-- For the calling member's own campaigns: the names of the other members in
-- each that chose to disclose their identity (discloseIdentity on a token
-- that links them), and nothing else about them.
CREATE FUNCTION campaign_disclosed_names(campaign_ids uuid[])
    RETURNS TABLE (campaign_id uuid, names text[])
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    SELECT own.campaign_id,
           COALESCE(ARRAY(SELECT m.name::text FROM campaign_members o JOIN members m ON m.id = o.member_id
                           WHERE o.campaign_id = own.campaign_id AND o.member_id <> own.member_id
                             AND o.disclosed AND m.status = 'ACTIVE'
                           ORDER BY m.name), '{}')
      FROM campaign_members own
     WHERE own.member_id = current_member_id() AND own.campaign_id = ANY(campaign_ids)
    $$;
REVOKE ALL ON FUNCTION campaign_disclosed_names(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION campaign_disclosed_names(uuid[]) TO sigfed_api, sigfed_worker;

-- overCapCampaigns: components past CAMPAIGN_MAX_BUNDLES, for an active admin
-- only (nothing for anyone else): ids, counts and when they were flagged.
CREATE FUNCTION over_cap_campaigns(max_rows int)
    RETURNS TABLE (id uuid, status text, member_count int, bundle_count int, over_cap_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    SELECT c.id, c.status::text, c.member_count, c.bundle_count, c.over_cap_at
      FROM campaigns c
     WHERE c.over_cap_at IS NOT NULL
       AND EXISTS (SELECT 1 FROM members WHERE id = current_member_id() AND role = 'ADMIN' AND status = 'ACTIVE')
     ORDER BY c.over_cap_at DESC, c.id
     LIMIT max_rows
    $$;
REVOKE ALL ON FUNCTION over_cap_campaigns(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION over_cap_campaigns(int) TO sigfed_api;
