import { createHash } from 'node:crypto';

/** A bundle as the linker sees it: its member, when it was seen, and its live token keys (`TYPE:epoch:hex`). */
export interface LinkNode {
  id: string;
  memberId: string;
  observedAt: Date;
  keys: readonly string[];
}

/** How a token may be used (LINKING_TOKENS). */
export interface KeyStanding {
  isMatch: boolean;
  usable: boolean;
  linking: boolean;
}

/** The rules in force (AppConfig). */
export interface LinkRules {
  minMembers: number;
  minBridgeTokens: number;
}

/** A connected component that spans at least minMembers members. */
export interface LinkedComponent {
  bundleIds: string[];
  /** Bundles per member. */
  members: Map<string, number>;
  /** Per member: the usable tokens it holds that join bundles of this component, and whether each bridges to another member. */
  tokens: Map<string, Map<string, boolean>>;
  /** Distinct tokens of the component per indicator type. */
  tokenCounts: Record<string, number>;
  firstSeenAt: Date;
  lastSeenAt: Date;
  /** What a member may see of the campaign changed when this does. */
  fingerprint: Buffer;
}

class UnionFind {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    let root = x;
    for (let p = this.parent.get(root); p !== undefined && p !== root; p = this.parent.get(root)) root = p;
    for (let y = x, p = this.parent.get(y); p !== undefined && p !== root; y = p, p = this.parent.get(y)) this.parent.set(y, root);
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
}

/**
 * The campaigns among `nodes`, a set closed under linking (every bundle a
 * member of it links to is in it). Two bundles of one member join through any
 * usable token they share: together they are one of the member's parts. Two
 * parts of different members join when at least minBridgeTokens distinct
 * linking tokens are held by both. A component is a campaign when it spans
 * at least minMembers members. Pure: the rules read as code.
 */
export function linkComponents(
  nodes: readonly LinkNode[],
  standing: ReadonlyMap<string, KeyStanding>,
  rules: LinkRules,
): LinkedComponent[] {
  const byKey = new Map<string, LinkNode[]>();
  for (const node of nodes) {
    for (const key of node.keys) {
      if (!standing.get(key)?.usable) continue;
      const list = byKey.get(key);
      if (list) list.push(node);
      else byKey.set(key, [node]);
    }
  }

  // A member's parts: its bundles joined by any usable token they share.
  const parts = new UnionFind();
  for (const holders of byKey.values()) {
    const firstOf = new Map<string, string>();
    for (const node of holders) {
      const first = firstOf.get(node.memberId);
      if (first === undefined) firstOf.set(node.memberId, node.id);
      else parts.union(first, node.id);
    }
  }

  // Bridges: pairs of parts of different members, counted in distinct linking tokens.
  const components = new UnionFind();
  const bridges = new Map<string, number>();
  for (const [key, holders] of byKey) {
    if (!standing.get(key)?.linking) continue;
    const partsHolding = new Map<string, string>();
    for (const node of holders) partsHolding.set(parts.find(node.id), node.memberId);
    const list = [...partsHolding];
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        if (list[i][1] === list[j][1]) continue;
        const [a, b] = list[i][0] < list[j][0] ? [list[i][0], list[j][0]] : [list[j][0], list[i][0]];
        const pair = `${a}|${b}`;
        const n = (bridges.get(pair) ?? 0) + 1;
        bridges.set(pair, n);
        if (n >= rules.minBridgeTokens) components.union(a, b);
      }
    }
  }

  const groups = new Map<string, LinkNode[]>();
  for (const node of nodes) {
    const root = components.find(parts.find(node.id));
    const list = groups.get(root);
    if (list) list.push(node);
    else groups.set(root, [node]);
  }

  const result: LinkedComponent[] = [];
  for (const group of groups.values()) {
    const members = new Map<string, number>();
    for (const node of group) members.set(node.memberId, (members.get(node.memberId) ?? 0) + 1);
    if (members.size < rules.minMembers) continue;
    result.push(describe(group, members, standing));
  }
  return result;
}

function describe(group: LinkNode[], members: Map<string, number>, standing: ReadonlyMap<string, KeyStanding>): LinkedComponent {
  const holders = new Map<string, { bundles: number; members: Set<string> }>();
  const distinct = new Set<string>();
  let first = group[0].observedAt;
  let last = group[0].observedAt;
  for (const node of group) {
    if (node.observedAt < first) first = node.observedAt;
    if (node.observedAt > last) last = node.observedAt;
    for (const key of node.keys) {
      distinct.add(key);
      if (!standing.get(key)?.usable) continue;
      const h = holders.get(key) ?? { bundles: 0, members: new Set<string>() };
      h.bundles++;
      h.members.add(node.memberId);
      holders.set(key, h);
    }
  }
  const tokens = new Map<string, Map<string, boolean>>();
  for (const node of group) {
    for (const key of node.keys) {
      const h = holders.get(key);
      if (!h || h.bundles < 2) continue;
      const bridging = h.members.size > 1 && standing.get(key)!.linking;
      let own = tokens.get(node.memberId);
      if (!own) tokens.set(node.memberId, (own = new Map()));
      own.set(key, bridging);
    }
  }
  const tokenCounts: Record<string, number> = {};
  for (const key of distinct) {
    const type = key.slice(0, key.indexOf(':'));
    tokenCounts[type] = (tokenCounts[type] ?? 0) + 1;
  }
  const bundleIds = group.map((n) => n.id).sort();
  const hash = createHash('sha256');
  for (const id of bundleIds) hash.update(`b${id}\n`);
  for (const [memberId, own] of [...tokens].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    for (const [key, bridging] of [...own].sort((a, b) => (a[0] < b[0] ? -1 : 1))) hash.update(`t${memberId}${key}${bridging}\n`);
  }
  hash.update(JSON.stringify(Object.entries(tokenCounts).sort()));
  hash.update(`${first.toISOString().slice(0, 10)}${last.toISOString().slice(0, 10)}`);
  return { bundleIds, members, tokens, tokenCounts, firstSeenAt: first, lastSeenAt: last, fingerprint: hash.digest() };
}

/** A campaign before the pass. */
export interface OldCampaign {
  id: string;
  createdAt: Date;
}

/** Which campaign id each component keeps, and which old ids end. */
export interface IdPlan {
  /** Per component (same order): the old id it keeps, or null for a new campaign. */
  kept: (string | null)[];
  /** Old ids no component keeps: they close. */
  closed: string[];
}

/**
 * How campaign ids survive: each old campaign goes to the component holding
 * most of its bundles (ties: the larger component, then the lower first
 * bundle id), so on a split the largest part keeps the id; a component that
 * receives several keeps the oldest (created first, then lowest id), so on a
 * merge the oldest campaign lives on and the others close. A component that
 * receives none is a new campaign.
 */
export function planIds(
  components: readonly { bundleIds: readonly string[] }[],
  oldOf: ReadonlyMap<string, string | null>,
  old: readonly OldCampaign[],
): IdPlan {
  const counts = new Map<string, Map<number, number>>();
  components.forEach((c, index) => {
    for (const id of c.bundleIds) {
      const was = oldOf.get(id);
      if (!was) continue;
      const byComponent = counts.get(was) ?? new Map<number, number>();
      byComponent.set(index, (byComponent.get(index) ?? 0) + 1);
      counts.set(was, byComponent);
    }
  });
  const received = components.map(() => [] as OldCampaign[]);
  const closed: string[] = [];
  for (const campaign of old) {
    const byComponent = counts.get(campaign.id);
    if (!byComponent) {
      closed.push(campaign.id);
      continue;
    }
    let best = -1;
    for (const [index, n] of byComponent) {
      if (best < 0) best = index;
      const bn = byComponent.get(best)!;
      const better =
        n > bn ||
        (n === bn && components[index].bundleIds.length > components[best].bundleIds.length) ||
        (n === bn &&
          components[index].bundleIds.length === components[best].bundleIds.length &&
          components[index].bundleIds[0] < components[best].bundleIds[0]);
      if (better) best = index;
    }
    received[best].push(campaign);
  }
  const kept = received.map((list) => {
    if (list.length === 0) return null;
    list.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
    for (const merged of list.slice(1)) closed.push(merged.id);
    return list[0].id;
  });
  return { kept, closed };
}
