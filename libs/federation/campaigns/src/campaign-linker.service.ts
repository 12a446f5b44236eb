import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { executeRows, pgRows, PrismaService, queryRows, type Prisma, type Statement } from '@app/database';
import { ConsumesEvent, OutboxService, type EventPayloads } from '@app/outbox';
import type { CampaignEvent, CampaignsChangedPayload, CampaignsRelinkPayload } from './campaign-events.js';
import {
  ALERT_BUNDLE_KEYS,
  ASSIGN_BUNDLES,
  BUNDLE_TOKENS,
  CAMPAIGN_BUNDLES,
  CAMPAIGN_MEMBERS_OF,
  CAMPAIGNS_USING,
  CLEAR_CAMPAIGN_ROWS,
  CLEAR_CAMPAIGN_TOKENS,
  CLOSE_CAMPAIGNS,
  DISCLOSED,
  EXPIRE_BUNDLE_TOKENS,
  FLAG_OVER_CAP,
  INSERT_CAMPAIGN,
  INSERT_CAMPAIGN_MEMBERS,
  INSERT_CAMPAIGN_TOKENS,
  LINK_LOCK,
  LINKING_TOKENS,
  LOCK_CAMPAIGNS,
  MEMBER_BUNDLES,
  QUEUE_EPOCH_CAMPAIGNS,
  QUEUE_EXTRA,
  QUEUE_PENDING,
  TAKE_QUEUED,
  TOKEN_HOLDERS,
  UPDATE_CAMPAIGN,
  type TokenStanding,
} from './campaigns.sql.js';
import { linkComponents, planIds, type LinkedComponent, type LinkNode } from './link-components.js';

type Tx = Prisma.TransactionClient;

/** Queue items one pass takes: bounds a pass's transaction; the rest waits for the next pass. */
const QUEUE_BATCH = 2_000;
/** Expired bundle tokens deleted per transaction. */
const EXPIRY_BATCH = 5_000;

/** `queryRows` with the parameters spread (the linker passes key arrays as three). */
function q<P extends readonly unknown[], R>(tx: Tx, st: Statement<P, R>, ...params: P): Promise<R[]> {
  return queryRows(tx, st, params);
}

/** `executeRows` with the parameters spread. */
async function exec<P extends readonly unknown[], R>(tx: Tx, st: Statement<P, R>, ...params: P): Promise<void> {
  await executeRows(tx, st, params);
}

function splitKeys(keys: Iterable<string>): [string[], string[], string[]] {
  const t: string[] = [];
  const e: string[] = [];
  const k: string[] = [];
  for (const key of keys) {
    const [type, epoch, token] = key.split(':');
    t.push(type);
    e.push(epoch);
    k.push(token);
  }
  return [t, e, k];
}

interface Node extends LinkNode {
  campaignId: string | null;
  directMatch: boolean;
  keys: string[];
}

/** What one pass changed. */
export interface LinkPassResult {
  events: CampaignEvent[];
  /** The queue had more than one pass takes. */
  more: boolean;
}

/**
 * Links bundles into campaigns (worker role). Every pass recomputes the
 * components it touches from the database, under one advisory lock, in one
 * transaction with the queue items it drains: running it twice, late, or in
 * several workers gives the same campaigns, so the outbox's at-least-once
 * delivery is exactly-once in effect.
 */
@Injectable()
export class CampaignLinker {
  private readonly logger = new Logger(CampaignLinker.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
  ) {}

  /** `campaigns.relink` (bundles changed): drains the link queue. */
  @ConsumesEvent('campaigns.relink')
  async onRelink(payload: EventPayloads['campaigns.relink']): Promise<void> {
    await this.relink(payload);
  }

  /** `member.state_changed` (a consumer beside correlation's): the member's bundles stop, or start again, counting. */
  @ConsumesEvent('member.state_changed')
  async onMemberStateChanged(payload: EventPayloads['member.state_changed']): Promise<void> {
    await this.relink({ memberId: payload.memberId });
  }

  /** `suppression.changed`: a suppressed token links no bundles; the campaigns joined through it are linked again. */
  @ConsumesEvent('suppression.changed')
  async onSuppressionChanged(payload: EventPayloads['suppression.changed']): Promise<void> {
    await this.relink({ keys: payload.keys });
  }

  /** `quarantine.changed` (a release): the token may link again. */
  @ConsumesEvent('quarantine.changed')
  async onQuarantineChanged(payload: EventPayloads['quarantine.changed']): Promise<void> {
    await this.relink({ keys: payload.keys });
  }

  /**
   * `alerts.changed` (a consumer beside the webhooks' and the stream's): a
   * plain submitIndicators, retractIndicators, expiry or quarantine changed
   * whether a token matches; the tokens among them that bundles hold are
   * queued for linking (a match gained joins, one lost splits). The pass runs
   * in the `campaigns.relink` job, not in correlation's inline one.
   */
  @ConsumesEvent('alerts.changed')
  async onAlertsChanged(payload: EventPayloads['alerts.changed']): Promise<void> {
    const alertIds = [...new Set(payload.events.map((e) => e.alertId))];
    if (alertIds.length === 0) return;
    // One plain read first: most alerts come from no bundle, and for them no transaction (three round trips
    // and Prisma's own cost on every correlation pass) is opened. A token a bundle gains after this read is
    // linked by that bundle's own relink.
    const keys = (await pgRows(this.prisma, ALERT_BUNDLE_KEYS, [alertIds])).map((k) => `${k.type}:${k.keyEpoch}:${k.token}`);
    if (keys.length === 0) return;
    await this.prisma.$transaction(async (tx) => {
      await exec(tx, QUEUE_EXTRA, null, ...splitKeys(keys));
      await this.outbox.publish(tx, 'campaigns.relink', {});
    });
  }

  /** `key_epoch.retired`: tokens under the epoch link nothing; the campaigns joined through them are linked again. */
  @ConsumesEvent('key_epoch.retired')
  async onKeyEpochRetired(payload: EventPayloads['key_epoch.retired']): Promise<void> {
    await exec(this.prisma, QUEUE_EPOCH_CAMPAIGNS, payload.label);
    await this.relink({});
  }

  /** Drains the link queue, plus the payload's member or tokens; returns the events it published. */
  async relink(payload: CampaignsRelinkPayload): Promise<CampaignEvent[]> {
    const events: CampaignEvent[] = [];
    let extra: CampaignsRelinkPayload = payload;
    for (;;) {
      const result = await this.prisma.$transaction((tx) => this.pass(tx, extra), { timeout: 300_000, maxWait: 300_000 });
      if (result === undefined) {
        // Another process links: it drains the queue until it is empty after its commit, this event's work included.
        if (extra.memberId || extra.keys?.length) {
          const keys = (extra.keys ?? []).map((k) => `${k.type}:${k.keyEpoch}:${k.token}`);
          await executeRows(this.prisma, QUEUE_EXTRA, [extra.memberId ?? null, ...splitKeys(keys)]);
        }
        break;
      }
      events.push(...result.events);
      extra = {};
      if (result.more) continue;
      // Work queued while this pass held the lock was left to it: look again now that the lock is free.
      const [{ pending }] = await queryRows(this.prisma, QUEUE_PENDING, []);
      if (!pending) break;
    }
    if (events.length) this.logger.log(`linking published ${events.length} campaign event(s)`);
    return events;
  }

  /** Deletes expired bundle tokens and links again what they held together; returns how many were removed. */
  async expire(): Promise<number> {
    let total = 0;
    for (;;) {
      const removed = await this.prisma.$transaction(async (tx) => {
        const [row] = await q(tx, EXPIRE_BUNDLE_TOKENS, EXPIRY_BATCH);
        return row.removed;
      });
      total += removed;
      if (removed < EXPIRY_BATCH) break;
    }
    if (total > 0) await this.relink({});
    return total;
  }

  /** One pass, or undefined when another process holds the linking lock. */
  private async pass(tx: Tx, extra: CampaignsRelinkPayload): Promise<LinkPassResult | undefined> {
    const [{ locked }] = await q(tx, LINK_LOCK);
    if (!locked) return undefined;
    const queued = await q(tx, TAKE_QUEUED, QUEUE_BATCH);
    const seedBundles = new Set<string>();
    const seedCampaigns = new Set<string>();
    const seedKeys = new Set<string>();
    for (const item of queued) {
      if (item.bundleId) seedBundles.add(item.bundleId);
      if (item.campaignId) seedCampaigns.add(item.campaignId);
      if (item.type && item.keyEpoch && item.token) seedKeys.add(`${item.type}:${item.keyEpoch}:${item.token}`);
    }
    if (extra.memberId) for (const row of await q(tx, MEMBER_BUNDLES, extra.memberId)) seedBundles.add(row.id);
    for (const k of extra.keys ?? []) seedKeys.add(`${k.type}:${k.keyEpoch}:${k.token}`);
    const more = queued.length === QUEUE_BATCH;
    if (seedBundles.size + seedCampaigns.size + seedKeys.size === 0) return { events: [], more };

    const found = await this.collect(tx, seedBundles, seedCampaigns, seedKeys);
    const events = found.overflow
      ? await this.flagOverCap(tx, found.campaigns, seedBundles, found.nodes)
      : await this.write(tx, found.nodes, found.standing, found.campaigns);
    if (events.length) {
      const payload: CampaignsChangedPayload = { events, occurredAt: new Date().toISOString() };
      await this.outbox.publish(tx, 'campaigns.changed', { ...payload });
    }
    return { events, more };
  }

  /**
   * Everything the seeds link to, closed under linking and under old
   * campaigns: a bundle reached pulls in every bundle of the campaign it was
   * in, and a token reached pulls in the campaigns that were joined through
   * it, so every campaign the pass touches is recomputed whole. Stops past
   * CAMPAIGN_MAX_BUNDLES (overflow).
   */
  private async collect(tx: Tx, seedBundles: Set<string>, seedCampaigns: Set<string>, seedKeys: Set<string>) {
    const { maxBundles } = this.config.campaigns;
    const nodes = new Map<string, Node>();
    const standing = new Map<string, TokenStanding>();
    const holders = new Map<string, { bundleId: string; memberId: string }[]>();
    const campaigns = new Set<string>();
    const pendingBundles = new Set(seedBundles);
    const pendingCampaigns = new Set(seedCampaigns);
    let pendingKeys = new Set(seedKeys);
    let overflow = false;

    const classify = async (keys: string[]) => {
      const fresh = keys.filter((k) => !standing.has(k));
      if (fresh.length === 0) return;
      const { minMembers, commonShare, commonMinHolders } = this.config.correlation;
      const rows = await q(
        tx,
        LINKING_TOKENS,
        ...splitKeys(fresh),
        minMembers,
        commonShare,
        commonMinHolders,
        this.config.campaigns.maxTokenBundles,
      );
      for (const r of rows) standing.set(`${r.type}:${r.keyEpoch}:${r.token}`, r);
      for (const r of await q(tx, CAMPAIGNS_USING, ...splitKeys(fresh)))
        if (!campaigns.has(r.campaignId)) pendingCampaigns.add(r.campaignId);
      const usable = fresh.filter((k) => standing.get(k)?.usable);
      if (usable.length) {
        for (const k of usable) holders.set(k, []);
        for (const h of await q(tx, TOKEN_HOLDERS, ...splitKeys(usable))) holders.get(h.key)?.push(h);
      }
    };

    while (!overflow && (pendingBundles.size || pendingCampaigns.size || pendingKeys.size)) {
      if (pendingKeys.size) {
        // Tokens whose holders changed: every holder is affected (and few: a usable token has at most the cap).
        const keys = [...pendingKeys];
        pendingKeys = new Set();
        await classify(keys);
        for (const k of keys) for (const h of holders.get(k) ?? []) if (!nodes.has(h.bundleId)) pendingBundles.add(h.bundleId);
        continue;
      }
      if (pendingCampaigns.size) {
        const ids = [...pendingCampaigns].filter((id) => !campaigns.has(id));
        pendingCampaigns.clear();
        for (const id of ids) campaigns.add(id);
        if (ids.length) for (const row of await q(tx, CAMPAIGN_BUNDLES, ids)) if (!nodes.has(row.id)) pendingBundles.add(row.id);
        continue;
      }
      const ids = [...pendingBundles].filter((id) => !nodes.has(id));
      pendingBundles.clear();
      if (ids.length === 0) continue;
      const fresh: Node[] = [];
      for (const row of await q(tx, BUNDLE_TOKENS, ids)) {
        let node = nodes.get(row.bundleId);
        if (!node) {
          node = {
            id: row.bundleId,
            memberId: row.memberId,
            observedAt: row.observedAt,
            campaignId: row.campaignId,
            directMatch: row.directMatch,
            keys: [],
          };
          nodes.set(row.bundleId, node);
          fresh.push(node);
          if (row.campaignId && !campaigns.has(row.campaignId)) pendingCampaigns.add(row.campaignId);
        }
        if (row.key) node.keys.push(row.key);
      }
      if (nodes.size > maxBundles) {
        overflow = true;
        break;
      }
      await classify([...new Set(fresh.flatMap((n) => n.keys))]);
      for (const node of fresh) {
        for (const key of node.keys) {
          const s = standing.get(key);
          if (!s?.usable) continue;
          for (const h of holders.get(key) ?? []) {
            if (!nodes.has(h.bundleId) && (s.linking || h.memberId === node.memberId)) pendingBundles.add(h.bundleId);
          }
        }
      }
    }
    return { nodes, standing, campaigns, overflow };
  }

  /**
   * A component past the cap is not grown: the campaigns it touches are
   * flagged (and keep what they had); if it touches none, a flagged campaign
   * without members is created for admins and the seed bundles point at it,
   * so the next pass finds the same flag instead of making another.
   */
  private async flagOverCap(tx: Tx, touched: Set<string>, seeds: Set<string>, nodes: Map<string, Node>): Promise<CampaignEvent[]> {
    const active = (await q(tx, LOCK_CAMPAIGNS, [...touched])).filter((c) => c.status === 'ACTIVE').map((c) => c.id);
    if (active.length) {
      await exec(tx, FLAG_OVER_CAP, active);
      this.logger.warn(`campaign(s) ${active.join(', ')} past CAMPAIGN_MAX_BUNDLES: flagged, not grown`);
      return [];
    }
    const all = [...nodes.values()];
    const members = new Set(all.map((n) => n.memberId)).size;
    const times = all.map((n) => n.observedAt.getTime());
    const [created] = await q(
      tx,
      INSERT_CAMPAIGN,
      new Date(),
      new Date(Math.min(...times)),
      new Date(Math.max(...times)),
      members,
      all.length,
      '{}',
      null,
    );
    const ids = [...seeds].filter((id) => nodes.has(id));
    await exec(
      tx,
      ASSIGN_BUNDLES,
      ids,
      ids.map(() => created.id),
      ids.map((id) => nodes.get(id)!.directMatch),
    );
    this.logger.warn(`a component past CAMPAIGN_MAX_BUNDLES was flagged as campaign ${created.id}`);
    return [];
  }

  /** Writes the components as campaigns, keeping ids as planIds says, and returns each member's events. */
  private async write(
    tx: Tx,
    nodes: Map<string, Node>,
    standing: Map<string, TokenStanding>,
    touched: Set<string>,
  ): Promise<CampaignEvent[]> {
    const { minMembers } = this.config.correlation;
    const components = linkComponents([...nodes.values()], standing, {
      minMembers,
      minBridgeTokens: this.config.campaigns.minBridgeTokens,
    });
    const oldIds = new Set(touched);
    for (const node of nodes.values()) if (node.campaignId) oldIds.add(node.campaignId);
    const old = await q(tx, LOCK_CAMPAIGNS, [...oldIds]);
    const oldById = new Map(old.map((c) => [c.id, c]));
    const before = new Map<string, Set<string>>();
    for (const row of await q(tx, CAMPAIGN_MEMBERS_OF, [...oldIds])) {
      const set = before.get(row.campaignId) ?? new Set<string>();
      set.add(row.memberId);
      before.set(row.campaignId, set);
    }
    const oldOf = new Map([...nodes.values()].map((n) => [n.id, n.campaignId]));
    const plan = planIds(
      components,
      oldOf,
      old.filter((c) => c.status === 'ACTIVE'),
    );

    const events: CampaignEvent[] = [];
    const rewrite: { id: string; component: LinkedComponent }[] = [];
    const campaignOf = new Map<string, string>();
    for (let i = 0; i < components.length; i++) {
      const c = components[i];
      const keptId = plan.kept[i];
      const counts = JSON.stringify(c.tokenCounts);
      let id: string;
      let version: number;
      if (keptId) {
        id = keptId;
        const prior = oldById.get(keptId)!;
        if (prior.fingerprint === c.fingerprint.toString('hex') && !prior.overCapAt) {
          for (const b of c.bundleIds) campaignOf.set(b, id);
          continue;
        }
        version = prior.version + 1;
        await exec(
          tx,
          UPDATE_CAMPAIGN,
          id,
          version,
          c.firstSeenAt,
          c.lastSeenAt,
          c.members.size,
          c.bundleIds.length,
          counts,
          c.fingerprint,
        );
      } else {
        [{ id }] = await q(
          tx,
          INSERT_CAMPAIGN,
          null,
          c.firstSeenAt,
          c.lastSeenAt,
          c.members.size,
          c.bundleIds.length,
          counts,
          c.fingerprint,
        );
        version = 1;
      }
      for (const b of c.bundleIds) campaignOf.set(b, id);
      rewrite.push({ id, component: c });
      const saw = before.get(id) ?? new Set<string>();
      for (const memberId of c.members.keys()) {
        events.push({ campaignId: id, memberId, type: saw.has(memberId) ? 'campaign.updated' : 'campaign.created', version });
      }
      for (const memberId of saw) if (!c.members.has(memberId)) events.push({ campaignId: id, memberId, type: 'campaign.closed', version });
    }

    if (rewrite.length) await this.writeRows(tx, rewrite);
    if (plan.closed.length) {
      const closed = await q(tx, CLOSE_CAMPAIGNS, plan.closed);
      await exec(tx, CLEAR_CAMPAIGN_TOKENS, plan.closed);
      for (const c of closed) {
        for (const memberId of before.get(c.id) ?? [])
          events.push({ campaignId: c.id, memberId, type: 'campaign.closed', version: c.version });
      }
    }

    const ids = [...nodes.keys()];
    await exec(
      tx,
      ASSIGN_BUNDLES,
      ids,
      ids.map((id) => campaignOf.get(id) ?? null),
      ids.map((id) => nodes.get(id)!.keys.some((k) => standing.get(k)?.isMatch)),
    );
    return events;
  }

  /** Replaces the membership and token rows of rewritten campaigns. */
  private async writeRows(tx: Tx, rewrite: { id: string; component: LinkedComponent }[]): Promise<void> {
    await exec(
      tx,
      CLEAR_CAMPAIGN_ROWS,
      rewrite.map((r) => r.id),
    );
    const tokens = { campaigns: [] as string[], members: [] as string[], bridging: [] as boolean[], keys: [] as string[] };
    const bridgingOf = { members: [] as string[], keys: [] as string[] };
    for (const { id, component } of rewrite) {
      for (const [memberId, own] of component.tokens) {
        for (const [key, bridging] of own) {
          tokens.campaigns.push(id);
          tokens.members.push(memberId);
          tokens.bridging.push(bridging);
          tokens.keys.push(key);
          if (bridging) {
            bridgingOf.members.push(memberId);
            bridgingOf.keys.push(key);
          }
        }
      }
    }
    const disclosed = new Set(
      bridgingOf.keys.length
        ? (await q(tx, DISCLOSED, bridgingOf.members, ...splitKeys(bridgingOf.keys))).map((r) => `${r.memberId}|${r.key}`)
        : [],
    );
    const members = { campaigns: [] as string[], members: [] as string[], bundles: [] as number[], disclosed: [] as boolean[] };
    for (const { id, component } of rewrite) {
      for (const [memberId, n] of component.members) {
        members.campaigns.push(id);
        members.members.push(memberId);
        members.bundles.push(n);
        // A name is shown in the campaigns where it disclosed itself on a token that links it there.
        const own = component.tokens.get(memberId) ?? new Map<string, boolean>();
        members.disclosed.push([...own].some(([key, bridging]) => bridging && disclosed.has(`${memberId}|${key}`)));
      }
    }
    await exec(tx, INSERT_CAMPAIGN_MEMBERS, members.campaigns, members.members, members.bundles, members.disclosed);
    if (tokens.keys.length)
      await exec(tx, INSERT_CAMPAIGN_TOKENS, tokens.campaigns, tokens.members, tokens.bridging, ...splitKeys(tokens.keys));
  }
}
