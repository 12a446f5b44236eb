import { statement } from '@app/database';
import { outboxEventSql } from '@app/outbox';

/**
 * Every SQL statement of campaigns, named, with its parameters and rows.
 * Token keys travel as three text arrays (type, key epoch, token hex).
 */

/** The `campaigns.relink` event QUEUE_LINKING writes at $6 and $7. */
export const RELINK_EVENT = outboxEventSql('campaigns.relink', '$6', '$7');

/** The member's existing bundles among these refs, locked for the replacement ($1 member, $2 refs). */
export const LOCK_OWN_BUNDLES = statement<
  [string, string[]],
  { id: string; bundleRef: string; campaignId: string | null; observedAt: Date }
>(
  'campaigns.lockOwnBundles',
  `SELECT id, bundle_ref AS "bundleRef", campaign_id AS "campaignId", observed_at AS "observedAt"
     FROM bundles WHERE member_id = $1::uuid AND bundle_ref = ANY($2::text[])
    ORDER BY bundle_ref
      FOR UPDATE`,
);

/** The token keys (`TYPE:epoch:hex`) of the member's bundles ($1 member, $2 bundle ids). */
export const OWN_BUNDLE_KEYS = statement<[string, string[]], { bundleId: string; key: string }>(
  'campaigns.ownBundleKeys',
  `SELECT bundle_id AS "bundleId", type::text || ':' || key_epoch || ':' || encode(token, 'hex') AS key
     FROM bundle_tokens WHERE member_id = $1::uuid AND bundle_id = ANY($2::uuid[])`,
);

/** Creates or replaces the member's bundles ($1 member, $2 submission, $3 refs, $4 observed at). */
export const UPSERT_BUNDLES = statement<[string, string, string[], Date[]], { id: string; bundleRef: string }>(
  'campaigns.upsertBundles',
  `INSERT INTO bundles AS b (member_id, submission_id, bundle_ref, observed_at)
   SELECT $1::uuid, $2::uuid, r, o FROM unnest($3::text[], $4::timestamptz[]) AS u(r, o)
   ON CONFLICT (member_id, bundle_ref) DO UPDATE SET
     observed_at = EXCLUDED.observed_at, submission_id = EXCLUDED.submission_id, updated_at = now()
   RETURNING id, bundle_ref AS "bundleRef"`,
);

/** Drops the token sets of bundles being replaced ($1 member, $2 bundle ids). */
export const CLEAR_BUNDLE_TOKENS = statement<[string, string[]]>(
  'campaigns.clearBundleTokens',
  `DELETE FROM bundle_tokens WHERE member_id = $1::uuid AND bundle_id = ANY($2::uuid[])`,
);

/** Stores token sets ($1 member, $2 bundle ids, $3-$5 keys, $6 expiry per row). */
export const INSERT_BUNDLE_TOKENS = statement<[string, string[], string[], string[], string[], Date[]]>(
  'campaigns.insertBundleTokens',
  `INSERT INTO bundle_tokens (bundle_id, member_id, type, key_epoch, token, expires_at)
   SELECT b, $1::uuid, t::"IndicatorType", e, decode(k, 'hex'), x
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS u(b, t, e, k, x)`,
);

/**
 * Queues the linker's work and wakes it, in the change's transaction: the
 * bundles stored ($1), the campaigns they were in ($2), the tokens they no
 * longer hold ($3-$5); $6 topic, $7 payload.
 */
export const QUEUE_LINKING = statement<[string[], string[], string[], string[], string[], string, string], { id: string }>(
  'campaigns.queueLinking',
  `WITH b AS (INSERT INTO campaign_link_queue (bundle_id) SELECT unnest($1::uuid[])),
        c AS (INSERT INTO campaign_link_queue (campaign_id) SELECT unnest($2::uuid[])),
        t AS (INSERT INTO campaign_link_queue (type, key_epoch, token)
              SELECT t::"IndicatorType", e, decode(k, 'hex') FROM unnest($3::text[], $4::text[], $5::text[]) AS u(t, e, k)),
        event AS (${RELINK_EVENT.insert})
   SELECT event.id::text AS id FROM event, ${RELINK_EVENT.notify}`,
);

/** The `campaigns.relink` event RETRACT_BUNDLES writes at $3 and $4. */
export const RETRACT_EVENT = outboxEventSql('campaigns.relink', '$3', '$4');

/**
 * Deletes the member's bundles by ref and queues their campaigns and tokens
 * for the linker ($1 member, $2 refs, $3 topic, $4 payload). The token rows
 * read here are the snapshot before the cascade removes them.
 */
export const RETRACT_BUNDLES = statement<[string, string[], string, string], { retracted: number }>(
  'campaigns.retractBundles',
  `WITH gone AS (
     DELETE FROM bundles WHERE member_id = $1::uuid AND bundle_ref = ANY($2::text[]) RETURNING id, campaign_id
   ), qc AS (
     INSERT INTO campaign_link_queue (campaign_id) SELECT DISTINCT campaign_id FROM gone WHERE campaign_id IS NOT NULL
   ), qt AS (
     INSERT INTO campaign_link_queue (type, key_epoch, token)
     SELECT DISTINCT bt.type, bt.key_epoch, bt.token FROM bundle_tokens bt JOIN gone ON gone.id = bt.bundle_id
      WHERE bt.member_id = $1::uuid
   ), event AS (${RETRACT_EVENT.insert})
   SELECT (SELECT count(*) FROM gone)::int AS retracted FROM event, ${RETRACT_EVENT.notify}`,
);

/** A campaign as a member sees it, before mapping (see campaignView). */
export interface CampaignRow {
  id: string;
  status: 'ACTIVE' | 'CLOSED';
  version: number;
  memberCount: number;
  bundleCount: number;
  tokenCounts: Record<string, number>;
  firstSeenAt: Date;
  lastSeenAt: Date;
  ownBundles: { bundleRef: string; directMatch: boolean }[];
  linkingTokens: { type: string; keyEpoch: string; token: string }[];
  disclosedMembers: string[];
}

/**
 * The view of the campaigns `rows` selects ($1 is the member): its own
 * bundles and bridging tokens only, counts, days, and the names of other
 * members that disclosed them (campaign_disclosed_names). Run in the
 * member's transaction: RLS shows campaigns only through its own membership.
 */
export function campaignView(rows: string): string {
  return `
  WITH page AS (${rows})
  SELECT p.id, p.status::text AS status, p.version, p.member_count AS "memberCount", p.bundle_count AS "bundleCount",
         p.token_counts AS "tokenCounts",
         date_trunc('day', p.first_seen_at, 'UTC') AS "firstSeenAt", date_trunc('day', p.last_seen_at, 'UTC') AS "lastSeenAt",
         COALESCE((SELECT json_agg(json_build_object('bundleRef', b.bundle_ref, 'directMatch', b.direct_match) ORDER BY b.bundle_ref)
                     FROM bundles b WHERE b.member_id = $1::uuid AND b.campaign_id = p.id), '[]') AS "ownBundles",
         COALESCE((SELECT json_agg(json_build_object('type', t.type, 'keyEpoch', t.key_epoch, 'token', encode(t.token, 'hex'))
                                   ORDER BY t.type, t.key_epoch, t.token)
                     FROM campaign_linking_tokens t
                    WHERE t.member_id = $1::uuid AND t.campaign_id = p.id AND t.bridging), '[]') AS "linkingTokens",
         COALESCE(d.names, '{}') AS "disclosedMembers"
    FROM page p
    LEFT JOIN campaign_disclosed_names(ARRAY(SELECT id FROM page)) d ON d.campaign_id = p.id
   ORDER BY p.created_at DESC, p.id DESC`;
}

/** Campaign columns a page selects, joined through the member's own membership row ($1). */
const CAMPAIGN_ROWS = `SELECT c.* FROM campaigns c JOIN campaign_members cm ON cm.campaign_id = c.id AND cm.member_id = $1::uuid`;

/** The member's campaigns among these ids ($1 member, $2 ids). */
export const CAMPAIGNS_BY_ID = statement<[string, string[]], CampaignRow>(
  'campaigns.byId',
  campaignView(`${CAMPAIGN_ROWS} WHERE c.id = ANY($2::uuid[])`),
);

const PAGE_FILTER = `($2::"CampaignStatus" IS NULL OR c.status = $2::"CampaignStatus")`;
const PAGE_ORDER = `ORDER BY c.created_at DESC, c.id DESC LIMIT $3`;

/** The member's campaigns, newest first ($1 member, $2 status or null for any, $3 limit). */
export const CAMPAIGNS_PAGE = statement<[memberId: string, status: string | null, limit: number], CampaignRow>(
  'campaigns.page',
  campaignView(`${CAMPAIGN_ROWS} WHERE ${PAGE_FILTER} ${PAGE_ORDER}`),
);

/** `campaigns.page` after the campaign $4 (the cursor's). */
export const CAMPAIGNS_PAGE_AFTER = statement<[memberId: string, status: string | null, limit: number, afterId: string], CampaignRow>(
  'campaigns.pageAfter',
  campaignView(
    `${CAMPAIGN_ROWS} WHERE ${PAGE_FILTER}
        AND (c.created_at, c.id) < (SELECT p.created_at, p.id FROM campaigns p WHERE p.id = $4::uuid) ${PAGE_ORDER}`,
  ),
);

// ---------------------------------------------------------------------------
// The linker (worker role).
// ---------------------------------------------------------------------------

/**
 * One process links at a time: every pass reads and rewrites whole
 * components. Tried, not waited for: a process that finds it taken leaves
 * its work in the queue for the holder, which drains until the queue is
 * empty after its commit (so no transaction holds a pooled connection
 * waiting for the lock).
 */
export const LINK_LOCK = statement<[], { locked: boolean }>(
  'campaigns.linkLock',
  `SELECT pg_try_advisory_xact_lock(hashtext('sigfed.campaigns.link')) AS locked`,
);

/** Whether any work is queued. */
export const QUEUE_PENDING = statement<[], { pending: boolean }>(
  'campaigns.queuePending',
  `SELECT EXISTS (SELECT 1 FROM campaign_link_queue) AS pending`,
);

/** Queues a member's bundles and tokens for the holder of the lock ($1 member or null, $2-$4 keys). */
export const QUEUE_EXTRA = statement<[string | null, string[], string[], string[]]>(
  'campaigns.queueExtra',
  `WITH b AS (INSERT INTO campaign_link_queue (bundle_id) SELECT id FROM bundles WHERE member_id = $1::uuid)
   INSERT INTO campaign_link_queue (type, key_epoch, token)
   SELECT t::"IndicatorType", e, decode(k, 'hex') FROM unnest($2::text[], $3::text[], $4::text[]) AS u(t, e, k)`,
);

/** Takes up to $1 queued items, oldest first; they come back if the pass rolls back. */
export const TAKE_QUEUED = statement<
  [number],
  { bundleId: string | null; campaignId: string | null; type: string | null; keyEpoch: string | null; token: string | null }
>(
  'campaigns.takeQueued',
  `DELETE FROM campaign_link_queue
    WHERE id IN (SELECT id FROM campaign_link_queue ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
   RETURNING bundle_id AS "bundleId", campaign_id AS "campaignId", type::text AS type, key_epoch AS "keyEpoch",
             encode(token, 'hex') AS token`,
);

/**
 * The tokens of these alerts' matches that any bundle holds ($1 alert ids):
 * a plain submission, retraction or expiry changed whether they match, so
 * what they join is linked again.
 */
export const ALERT_BUNDLE_KEYS = statement<[string[]], { type: string; keyEpoch: string; token: string }>(
  'campaigns.alertBundleKeys',
  `SELECT DISTINCT m.type::text AS type, m.key_epoch AS "keyEpoch", encode(m.token, 'hex') AS token
     FROM alerts a JOIN matches m ON m.id = a.match_id
    WHERE a.id = ANY($1::uuid[])
      AND EXISTS (SELECT 1 FROM bundle_tokens bt WHERE bt.type = m.type AND bt.key_epoch = m.key_epoch AND bt.token = m.token)`,
);

/** Queues every campaign joined through a token under a key epoch an operator retired ($1 label). */
export const QUEUE_EPOCH_CAMPAIGNS = statement<[string]>(
  'campaigns.queueEpochCampaigns',
  `INSERT INTO campaign_link_queue (campaign_id)
   SELECT DISTINCT campaign_id FROM campaign_linking_tokens WHERE key_epoch = $1`,
);

/** The bundles of a member (its suspension or reinstatement changes what they link). */
export const MEMBER_BUNDLES = statement<[string], { id: string }>(
  'campaigns.memberBundles',
  `SELECT id FROM bundles WHERE member_id = $1::uuid`,
);

/** Every bundle of these campaigns. */
export const CAMPAIGN_BUNDLES = statement<[string[]], { id: string }>(
  'campaigns.campaignBundles',
  `SELECT id FROM bundles WHERE campaign_id = ANY($1::uuid[])`,
);

/** The campaigns whose linking rows name any of these tokens. */
export const CAMPAIGNS_USING = statement<[string[], string[], string[]], { campaignId: string }>(
  'campaigns.campaignsUsing',
  `SELECT DISTINCT t.campaign_id AS "campaignId"
     FROM unnest($1::"IndicatorType"[], $2::text[], $3::text[]) AS u(type, key_epoch, token_hex)
     JOIN campaign_linking_tokens t ON t.type = u.type AND t.key_epoch = u.key_epoch AND t.token = decode(u.token_hex, 'hex')`,
);

/**
 * The bundles and their live tokens: a suspended member's bundle, or one whose
 * tokens all expired, comes back with `key` null and links nothing.
 */
export const BUNDLE_TOKENS = statement<
  [string[]],
  { bundleId: string; memberId: string; campaignId: string | null; observedAt: Date; directMatch: boolean; key: string | null }
>(
  'campaigns.bundleTokens',
  `SELECT b.id AS "bundleId", b.member_id AS "memberId", b.campaign_id AS "campaignId", b.observed_at AS "observedAt",
          b.direct_match AS "directMatch",
          bt.type::text || ':' || bt.key_epoch || ':' || encode(bt.token, 'hex') AS key
     FROM bundles b
     JOIN members m ON m.id = b.member_id
     LEFT JOIN bundle_tokens bt ON bt.bundle_id = b.id AND bt.expires_at > now() AND m.status = 'ACTIVE'
    WHERE b.id = ANY($1::uuid[])`,
);

/** How the linker may use a token (LINKING_TOKENS). */
export interface TokenStanding {
  type: string;
  keyEpoch: string;
  token: string;
  /** A match on its own: held by MATCH_MIN_MEMBERS active members, neither common nor suppressed, its key epoch not retired. */
  isMatch: boolean;
  /**
   * May join bundles at all: not suppressed, not quarantined, its key epoch
   * not retired, held by at most CAMPAIGN_MAX_TOKEN_BUNDLES live bundles.
   */
  usable: boolean;
  /** May join different members' bundles: usable and a match. */
  linking: boolean;
}

/**
 * THE linking-token rule, in one statement: for each token ($1-$3), whether
 * it is a match (held by at least $4 = MATCH_MIN_MEMBERS active members, not
 * common: $5 share of active members once $6 hold it, not suppressed),
 * whether it is usable (not suppressed, held by at most $7 =
 * CAMPAIGN_MAX_TOKEN_BUNDLES live bundles of active members; counting stops
 * at $7 + 1, not quarantined), and whether it links members (both). A
 * token under a retired key epoch is neither: records under it match
 * nothing (correlation's rule).
 */
export const LINKING_TOKENS = statement<[string[], string[], string[], number, number, number, number], TokenStanding>(
  'campaigns.linkingTokens',
  `WITH keys AS (
     SELECT DISTINCT u.type::"IndicatorType" AS type, u.key_epoch, decode(u.token_hex, 'hex') AS token
       FROM unnest($1::text[], $2::text[], $3::text[]) AS u(type, key_epoch, token_hex)
   ), active AS (
     SELECT count(*)::int AS n FROM members WHERE status = 'ACTIVE'
   ), standing AS (
     SELECT k.type, k.key_epoch, k.token,
            holders.n >= $4::int AND NOT (holders.n >= $6::int AND holders.n > $5::float8 * active.n) AND NOT suppressed.yes
            AND NOT retired.yes AS is_match,
            held.bundles <= $7::int AND NOT suppressed.yes AND NOT retired.yes
            AND NOT EXISTS (SELECT 1 FROM quarantined_tokens q WHERE q.type = k.type AND q.key_epoch = k.key_epoch AND q.token = k.token)
              AS usable
       FROM keys k CROSS JOIN active
       CROSS JOIN LATERAL (
         SELECT EXISTS (SELECT 1 FROM suppressed_tokens s
                         WHERE s.type = k.type AND s.key_epoch = k.key_epoch AND s.token = k.token) AS yes
       ) suppressed
       CROSS JOIN LATERAL (
         SELECT EXISTS (SELECT 1 FROM key_epochs e WHERE e.label = k.key_epoch AND e.retired_at IS NOT NULL) AS yes
       ) retired
       CROSS JOIN LATERAL (
         -- One range scan of the key's records, then their members: joined the other way round (a probe of
         -- indicators per member, which the planner picks when members has no statistics) the cost grows with
         -- the number of members.
         SELECT count(DISTINCT i.member_no)::int AS n
           FROM (SELECT i.member_no FROM indicators i
                  WHERE i.key_space = (SELECT ks.id FROM key_spaces ks WHERE ks.type = k.type AND ks.key_epoch = k.key_epoch)
                    AND i.token = k.token AND i.expires_at > now()
                 OFFSET 0) i
           JOIN members m ON m.member_no = i.member_no AND m.status = 'ACTIVE'
       ) holders
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS bundles FROM (
           SELECT 1 FROM bundle_tokens bt JOIN members m ON m.id = bt.member_id AND m.status = 'ACTIVE'
            WHERE bt.type = k.type AND bt.key_epoch = k.key_epoch AND bt.token = k.token AND bt.expires_at > now()
            LIMIT $7::int + 1) held
       ) held
   )
   SELECT type::text AS type, key_epoch AS "keyEpoch", encode(token, 'hex') AS token,
          is_match AS "isMatch", usable, usable AND is_match AS linking
     FROM standing`,
);

/** The live bundles of active members holding these (usable, so few) tokens. */
export const TOKEN_HOLDERS = statement<[string[], string[], string[]], { key: string; bundleId: string; memberId: string }>(
  'campaigns.tokenHolders',
  `SELECT u.type || ':' || u.key_epoch || ':' || u.token_hex AS key, bt.bundle_id AS "bundleId", bt.member_id AS "memberId"
     FROM unnest($1::text[], $2::text[], $3::text[]) AS u(type, key_epoch, token_hex)
     JOIN bundle_tokens bt ON bt.type = u.type::"IndicatorType" AND bt.key_epoch = u.key_epoch AND bt.token = decode(u.token_hex, 'hex')
     JOIN members m ON m.id = bt.member_id AND m.status = 'ACTIVE'
    WHERE bt.expires_at > now()`,
);

/** Members among ($1 members, $2-$4 keys) that set discloseIdentity on their record of that token. */
export const DISCLOSED = statement<[string[], string[], string[], string[]], { memberId: string; key: string }>(
  'campaigns.disclosed',
  `SELECT DISTINCT mb.id AS "memberId", u.type || ':' || u.key_epoch || ':' || u.token_hex AS key
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS u(member_id, type, key_epoch, token_hex)
     JOIN members mb ON mb.id = u.member_id
     JOIN key_spaces ks ON ks.type = u.type::"IndicatorType" AND ks.key_epoch = u.key_epoch
     JOIN indicators i ON i.key_space = ks.id AND i.token = decode(u.token_hex, 'hex') AND i.member_no = mb.member_no
    WHERE i.disclose_identity AND i.expires_at > now()`,
);

/** The campaigns a pass may rewrite, locked. */
export const LOCK_CAMPAIGNS = statement<
  [string[]],
  { id: string; status: 'ACTIVE' | 'CLOSED'; version: number; createdAt: Date; fingerprint: string | null; overCapAt: Date | null }
>(
  'campaigns.lockCampaigns',
  `SELECT id, status::text AS status, version, created_at AS "createdAt", encode(fingerprint, 'hex') AS fingerprint,
          over_cap_at AS "overCapAt"
     FROM campaigns WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
);

/** Who could see these campaigns before the pass: each gets the event of what changed for it. */
export const CAMPAIGN_MEMBERS_OF = statement<[string[]], { campaignId: string; memberId: string }>(
  'campaigns.campaignMembersOf',
  `SELECT campaign_id AS "campaignId", member_id AS "memberId" FROM campaign_members WHERE campaign_id = ANY($1::uuid[])`,
);

/** A new campaign; $1 over-cap flag time or null. */
export const INSERT_CAMPAIGN = statement<[Date | null, Date, Date, number, number, string, Buffer | null], { id: string }>(
  'campaigns.insertCampaign',
  `INSERT INTO campaigns (over_cap_at, first_seen_at, last_seen_at, member_count, bundle_count, token_counts, fingerprint)
   VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) RETURNING id`,
);

/** A kept campaign's new state: a new version, ACTIVE, not over the cap. */
export const UPDATE_CAMPAIGN = statement<[string, number, Date, Date, number, number, string, Buffer]>(
  'campaigns.updateCampaign',
  `UPDATE campaigns SET version = $2, status = 'ACTIVE', closed_at = NULL, over_cap_at = NULL, first_seen_at = $3,
          last_seen_at = $4, member_count = $5, bundle_count = $6, token_counts = $7::jsonb, fingerprint = $8, updated_at = now()
    WHERE id = $1::uuid`,
);

/** Campaigns that ended (split away, merged into another, or below MATCH_MIN_MEMBERS); returns their new versions. */
export const CLOSE_CAMPAIGNS = statement<[string[]], { id: string; version: number }>(
  'campaigns.closeCampaigns',
  `UPDATE campaigns SET status = 'CLOSED', version = version + 1, closed_at = now(), updated_at = now(), over_cap_at = NULL
    WHERE id = ANY($1::uuid[]) AND status = 'ACTIVE'
   RETURNING id, version`,
);

/** Flags components past CAMPAIGN_MAX_BUNDLES (first time only). */
export const FLAG_OVER_CAP = statement<[string[]]>(
  'campaigns.flagOverCap',
  `UPDATE campaigns SET over_cap_at = now() WHERE id = ANY($1::uuid[]) AND over_cap_at IS NULL`,
);

/** Points bundles at their campaign (or none) and records whether they match directly. */
export const ASSIGN_BUNDLES = statement<[string[], (string | null)[], boolean[]]>(
  'campaigns.assignBundles',
  `UPDATE bundles b SET campaign_id = u.campaign_id, direct_match = u.direct_match
     FROM unnest($1::uuid[], $2::uuid[], $3::boolean[]) AS u(id, campaign_id, direct_match)
    WHERE b.id = u.id AND (b.campaign_id IS DISTINCT FROM u.campaign_id OR b.direct_match <> u.direct_match)`,
);

/** Clears the membership and token rows of these campaigns before they are written again. */
export const CLEAR_CAMPAIGN_ROWS = statement<[string[]]>(
  'campaigns.clearCampaignRows',
  `WITH m AS (DELETE FROM campaign_members WHERE campaign_id = ANY($1::uuid[]))
   DELETE FROM campaign_linking_tokens WHERE campaign_id = ANY($1::uuid[])`,
);

/** Clears only the token rows (a closed campaign keeps who was in it, so that they can still read it as CLOSED). */
export const CLEAR_CAMPAIGN_TOKENS = statement<[string[]]>(
  'campaigns.clearCampaignTokens',
  `DELETE FROM campaign_linking_tokens WHERE campaign_id = ANY($1::uuid[])`,
);

/** Membership rows ($1 campaign, $2 member, $3 bundles, $4 disclosed). */
export const INSERT_CAMPAIGN_MEMBERS = statement<[string[], string[], number[], boolean[]]>(
  'campaigns.insertCampaignMembers',
  `INSERT INTO campaign_members (campaign_id, member_id, bundle_count, disclosed)
   SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::boolean[])`,
);

/** Token rows ($1 campaign, $2 member, $3 bridging, $4-$6 key). */
export const INSERT_CAMPAIGN_TOKENS = statement<[string[], string[], boolean[], string[], string[], string[]]>(
  'campaigns.insertCampaignTokens',
  `INSERT INTO campaign_linking_tokens (campaign_id, member_id, bridging, type, key_epoch, token)
   SELECT c, m, b, t::"IndicatorType", e, decode(k, 'hex') FROM unnest($1::uuid[], $2::uuid[], $3::boolean[], $4::text[], $5::text[], $6::text[])
       AS u(c, m, b, t, e, k)`,
);

/** Deletes expired bundle tokens, a batch at a time, and queues them and their bundles for the linker. */
export const EXPIRE_BUNDLE_TOKENS = statement<[number], { removed: number }>(
  'campaigns.expireBundleTokens',
  `WITH gone AS (
     DELETE FROM bundle_tokens
      WHERE ctid = ANY(ARRAY(SELECT ctid FROM bundle_tokens WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED))
     RETURNING bundle_id, type, key_epoch, token
   ), qb AS (
     INSERT INTO campaign_link_queue (bundle_id) SELECT DISTINCT bundle_id FROM gone
   ), qt AS (
     INSERT INTO campaign_link_queue (type, key_epoch, token) SELECT DISTINCT type, key_epoch, token FROM gone
   )
   SELECT count(*)::int AS removed FROM gone`,
);

/** Campaigns past the cap, for the calling admin ($1 limit; nothing for a non-admin). */
export const OVER_CAP = statement<[number], { id: string; status: string; memberCount: number; bundleCount: number; overCapAt: Date }>(
  'campaigns.overCap',
  `SELECT id, status, member_count AS "memberCount", bundle_count AS "bundleCount", over_cap_at AS "overCapAt"
     FROM over_cap_campaigns($1::int)`,
);
