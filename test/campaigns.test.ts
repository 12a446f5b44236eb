import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { INestApplication } from '@nestjs/common';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberRole } from '@app/database';
import { TestContext, type TestMember } from './support/context.js';
import { outboxDrained, until } from './support/wait.js';
import { startWorker, WebhookReceiver } from './support/webhooks.js';

/**
 * The scenario of docs/campaigns.md, end to end over GraphQL, the outbox, the
 * worker's linker, webhooks and the campaignEvents subscription: three labs,
 * a hydra network spread across them, a VPN exit range too many accounts
 * share, and an account of lab C that nothing matches directly.
 */

const WebSocketImpl = createRequire(import.meta.url)('ws') as unknown;
const ENV = {
  CAMPAIGN_MAX_TOKEN_BUNDLES: '4',
  CAMPAIGN_MAX_BUNDLES: '20',
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
};

const CAMPAIGN_FIELDS = `id status version memberCount bundleCount ownBundles { bundleRef directMatch }
  linkingTokens { type keyEpoch token } tokenCounts { type count } firstSeenAt lastSeenAt disclosedMembers`;

type Type = 'PAYMENT_FINGERPRINT' | 'IP_RANGE' | 'PROMPT_TEMPLATE' | 'ACCOUNT_SIGNAL';
interface Tok {
  type: Type;
  keyEpoch: string;
  token: string;
}
interface CampaignView {
  id: string;
  status: string;
  version: number;
  memberCount: number;
  bundleCount: number;
  ownBundles: { bundleRef: string; directMatch: boolean }[];
  linkingTokens: Tok[];
  tokenCounts: { type: string; count: number }[];
  firstSeenAt: string;
  lastSeenAt: string;
  disclosedMembers: string[];
}

const tok = (type: Type, label: string): Tok => ({
  type,
  keyEpoch: '2026-q4',
  token: createHash('sha256').update(`${label}:${randomUUID()}`).digest('hex'),
});

/** A graphql-ws client subscribed to campaignEvents. */
class CampaignSubscriber {
  readonly events: { type: string; campaignId: string; version: number; campaign: CampaignView | null }[] = [];
  readonly errors: unknown[] = [];
  private readonly client: Client;
  constructor(ctx: TestContext, token: string) {
    this.client = createClient({
      url: `${ctx.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocketImpl,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
    });
    this.client.subscribe<{ campaignEvents: CampaignSubscriber['events'][number] }>(
      { query: `subscription { campaignEvents { type campaignId version occurredAt campaign { ${CAMPAIGN_FIELDS} } } }` },
      {
        next: (r) => {
          if (r.data) this.events.push(r.data.campaignEvents);
          if (r.errors) this.errors.push(...r.errors);
        },
        error: (e) => this.errors.push(e),
        complete: () => undefined,
      },
    );
  }
  async dispose(): Promise<void> {
    await this.client.dispose();
  }
}

describe('campaigns: linking accounts across labs', () => {
  let api: TestContext;
  let worker: INestApplication;
  let receiver: WebhookReceiver;
  let subscriber: CampaignSubscriber;
  const labs: Record<'A' | 'B' | 'C', TestMember> = {} as never;
  const tokens: Record<string, string> = {};
  /** Every token each lab holds, by lab. */
  const held: Record<string, Set<string>> = { A: new Set(), B: new Set(), C: new Set() };
  /** Every bundleRef each lab used. */
  const refs: Record<string, Set<string>> = { A: new Set(), B: new Set(), C: new Set() };

  const T = {
    pay: tok('PAYMENT_FINGERPRINT', 'hydra-card'),
    template: tok('PROMPT_TEMPLATE', 'hydra-template'),
    vpn: tok('IP_RANGE', 'vpn-exit'),
    aOwn: tok('ACCOUNT_SIGNAL', 'a-device'),
    bOwn: tok('ACCOUNT_SIGNAL', 'b-device'),
    cOwn: tok('ACCOUNT_SIGNAL', 'c-device'),
    y: tok('ACCOUNT_SIGNAL', 'second-ring'),
    aBenign: tok('ACCOUNT_SIGNAL', 'a-benign'),
    cBenign: tok('ACCOUNT_SIGNAL', 'c-benign'),
  };

  const gql = async <D = Record<string, unknown>>(lab: string, query: string, variables: Record<string, unknown> = {}) => {
    const res = await api.gql<D>(query, variables, tokens[lab]);
    return res;
  };
  const submit = async (lab: 'A' | 'B' | 'C', bundles: { ref: string; tokens: Tok[]; day?: string }[]) => {
    for (const b of bundles) {
      refs[lab].add(b.ref);
      for (const t of b.tokens) held[lab].add(t.token);
    }
    const res = await gql<{ submitBundles: { submissionId: string; accepted: number; duplicates: number } }>(
      lab,
      `mutation($input: SubmitBundlesInput!) { submitBundles(input: $input) { submissionId accepted duplicates } }`,
      {
        input: {
          idempotencyKey: randomUUID(),
          bundles: bundles.map((b) => ({ bundleRef: b.ref, observedAt: b.day ?? '2026-11-20T10:15:00Z', indicators: b.tokens })),
        },
      },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.submitBundles;
  };
  const campaignsOf = async (lab: string) => {
    const res = await gql<{ campaigns: { edges: { node: CampaignView }[] } }>(
      lab,
      `{ campaigns(first: 50) { edges { node { ${CAMPAIGN_FIELDS} } } } }`,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.campaigns.edges.map((e) => e.node);
  };
  const active = async (lab: string) => (await campaignsOf(lab)).filter((c) => c.status === 'ACTIVE');
  const settle = () => outboxDrained(api.db, 30_000);

  /** Nothing in a lab's views names another lab's bundles or a token the lab does not hold. */
  const assertOnlyOwn = (lab: 'A' | 'B' | 'C', views: unknown[]) => {
    const text = JSON.stringify(views);
    for (const hex of text.match(/[0-9a-f]{64}/g) ?? []) expect(held[lab].has(hex), `${lab} sees a token it does not hold`).toBe(true);
    for (const other of ['A', 'B', 'C'].filter((l) => l !== lab)) {
      for (const ref of refs[other]) expect(text.includes(`"${ref}"`), `${lab} sees ${other}'s bundleRef ${ref}`).toBe(false);
    }
  };

  beforeAll(async () => {
    api = await TestContext.start(ENV);
    worker = await startWorker(ENV);
    receiver = await WebhookReceiver.start();
    for (const name of ['A', 'B', 'C'] as const) {
      labs[name] = await api.newMember({ name: `Lab ${name}` });
      tokens[name] = await labs[name].token();
    }
    await api.newEndpoint(labs.A, {
      url: receiver.url('/lab-a'),
      eventTypes: ['campaign.created', 'campaign.updated', 'campaign.closed'],
    });
    tokens.A = await labs.A.token();
    subscriber = new CampaignSubscriber(api, tokens.B);
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(async () => {
    await subscriber?.dispose().catch(() => undefined);
    await receiver?.close();
    await worker?.close();
    await api?.close();
  });

  it('links the hydra accounts of three labs into one campaign, and the shared VPN range links nothing', async () => {
    await submit('A', [
      { ref: 'A-hydra-1', tokens: [T.pay, T.aOwn, T.vpn], day: '2026-11-18T23:59:00Z' },
      { ref: 'A-hydra-2', tokens: [T.aOwn] },
      { ref: 'A-customer-1', tokens: [T.vpn, T.aBenign] },
      { ref: 'A-customer-2', tokens: [T.vpn, T.aBenign] },
      { ref: 'A-customer-3', tokens: [T.vpn] },
      { ref: 'A-customer-4', tokens: [T.vpn] },
    ]);
    await submit('B', [
      { ref: 'B-hydra-1', tokens: [T.pay, T.bOwn] },
      { ref: 'B-hydra-2', tokens: [T.bOwn, T.template] },
      { ref: 'B-customer-1', tokens: [T.vpn] },
    ]);
    await submit('C', [
      { ref: 'C-hydra-1', tokens: [T.template, T.cOwn], day: '2026-11-21T00:00:01Z' },
      { ref: 'C-hydra-2', tokens: [T.cOwn] },
      { ref: 'C-customer-1', tokens: [T.vpn, T.cBenign] },
    ]);
    await settle();

    const [a, b, c] = [await active('A'), await active('B'), await active('C')];
    expect(a).toHaveLength(1);
    expect(b.map((x) => x.id)).toEqual([a[0].id]);
    expect(c.map((x) => x.id)).toEqual([a[0].id]);
    // Version 1 when the worker linked all three labs at once, 2 if it saw A and B before C submitted.
    expect(a[0]).toMatchObject({ status: 'ACTIVE', memberCount: 3, bundleCount: 6, disclosedMembers: [] });
    // The VPN range, in 8 bundles (over CAMPAIGN_MAX_TOKEN_BUNDLES = 4 from the first batch on), joined no customer account in.
    expect(a[0].ownBundles).toEqual([
      { bundleRef: 'A-hydra-1', directMatch: true },
      { bundleRef: 'A-hydra-2', directMatch: false },
    ]);
    // C's second account shares nothing with any other lab: found only through the campaign.
    expect(c[0].ownBundles).toEqual([
      { bundleRef: 'C-hydra-1', directMatch: true },
      { bundleRef: 'C-hydra-2', directMatch: false },
    ]);
    expect(a[0].linkingTokens).toEqual([T.pay]);
    expect(b[0].linkingTokens).toEqual([T.pay, T.template].sort((x, y) => (x.type < y.type ? -1 : 1)));
    expect(c[0].linkingTokens).toEqual([T.template]);
    expect(a[0].tokenCounts).toEqual([
      { type: 'ACCOUNT_SIGNAL', count: 3 },
      { type: 'IP_RANGE', count: 1 },
      { type: 'PAYMENT_FINGERPRINT', count: 1 },
      { type: 'PROMPT_TEMPLATE', count: 1 },
    ]);
    expect(a[0].firstSeenAt).toBe('2026-11-18T00:00:00.000Z');
    expect(a[0].lastSeenAt).toBe('2026-11-21T00:00:00.000Z');
    // The bundles' tokens are the labs' indicators too: the card and the VPN range alert as today.
    expect(await api.db.alert.count({ where: { memberId: labs.C.id } })).toBe(2);
  });

  it("shows each lab, in every field of every view, nothing of another lab's bundles, refs or tokens", async () => {
    for (const lab of ['A', 'B', 'C'] as const) {
      const list = await campaignsOf(lab);
      const one = await Promise.all(
        list.map(
          async (x) =>
            (await gql<{ campaign: CampaignView }>(lab, `query($id: ID!) { campaign(id: $id) { ${CAMPAIGN_FIELDS} } }`, { id: x.id })).data,
        ),
      );
      assertOnlyOwn(lab, [list, one]);
    }
    // Another lab's campaign id answers as no campaign at all; a stranger sees none.
    const stranger = await api.newMember();
    const id = (await active('A'))[0].id;
    const res = await api.gql(`query($id: ID!) { campaign(id: $id) { id } }`, { id }, await stranger.token());
    expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(
      (await api.gql<{ campaigns: { edges: unknown[] } }>(`{ campaigns { edges { node { id } } } }`, {}, await stranger.token())).data!
        .campaigns.edges,
    ).toEqual([]);
    // Row-level security: as lab A, the API's own role reads none of B's bundles even when asked for them.
    const rows = await api.prisma.asMember(
      labs.A.id,
      (tx) => tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM bundles WHERE member_id = ${labs.B.id}::uuid`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('announces the campaign by webhook and on the campaignEvents subscription', async () => {
    await until(() => receiver.at('/lab-a').length >= 1, 'campaign webhook');
    const body = JSON.parse(receiver.at('/lab-a')[0].body) as { type: string; data: CampaignView };
    expect(body.type).toBe('campaign.created');
    expect(body.data.ownBundles.map((b) => b.bundleRef)).toEqual(['A-hydra-1', 'A-hydra-2']);
    assertOnlyOwn('A', [body]);
    const [now] = await active('B');
    await until(() => subscriber.events.some((e) => e.version === now.version), 'campaign event');
    expect(subscriber.events[0]).toMatchObject({ type: 'campaign.created', campaignId: now.id });
    expect(subscriber.events.at(-1)).toMatchObject({ campaignId: now.id, version: now.version, campaign: { memberCount: 3 } });
    assertOnlyOwn('B', subscriber.events);
    expect(subscriber.errors).toEqual([]);
  });

  it('splits the campaign when a bridging account is retracted: the largest part keeps the id', async () => {
    const [before] = await active('B');
    const res = await gql<{ retractBundles: { retracted: number } }>(
      'B',
      `mutation { retractBundles(bundleRefs: ["B-hydra-1", "B-none"]) { retracted } }`,
    );
    expect(res.data!.retractBundles.retracted).toBe(1);
    await settle();
    expect(await active('A')).toEqual([]);
    const [after] = await active('B');
    expect(after).toMatchObject({ id: before.id, version: before.version + 1, memberCount: 2, bundleCount: 3 });
    expect((await active('C'))[0].id).toBe(before.id);
    // A reads it as closed: its bundles are out of it.
    const closed = await gql<{ campaign: CampaignView | null }>('A', `query($id: ID!) { campaign(id: $id) { id status } }`, {
      id: before.id,
    });
    expect(closed.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    await until(
      () => receiver.at('/lab-a').some((r) => (JSON.parse(r.body) as { type: string }).type === 'campaign.closed'),
      'closed webhook',
    );
    await until(() => subscriber.events.some((e) => e.type === 'campaign.updated' && e.version === after.version), 'updated event');
  });

  it('merges two campaigns into the older one, and the newer one closes', async () => {
    const [older] = await active('C');
    // A second ring: A's third account and C's third share a token.
    await submit('A', [{ ref: 'A-hydra-3', tokens: [T.y] }]);
    await submit('C', [{ ref: 'C-hydra-3', tokens: [T.y] }]);
    await settle();
    const newer = (await active('A'))[0];
    expect(newer.id).not.toBe(older.id);
    // B's account comes back with the card (joins A's first part to the older campaign), and A's second account
    // now also carries the second ring's token: one component.
    await submit('B', [{ ref: 'B-hydra-1', tokens: [T.pay, T.bOwn] }]);
    await submit('A', [{ ref: 'A-hydra-2', tokens: [T.aOwn, T.y] }]);
    await settle();
    const [merged] = await active('A');
    expect(merged.id).toBe(older.id);
    expect(merged).toMatchObject({ memberCount: 3, bundleCount: 8 });
    const closed = await api.db.campaign.findUniqueOrThrow({ where: { id: newer.id } });
    expect(closed.status).toBe('CLOSED');
    // Resubmitting the same bundles changes nothing.
    expect(await submit('B', [{ ref: 'B-hydra-1', tokens: [T.pay, T.bOwn] }])).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it('is idempotent: linking the same bundles again changes no campaign and sends no event', async () => {
    const before = await api.db.campaign.findMany({ orderBy: { id: 'asc' } });
    const deliveries = await api.db.webhookDelivery.count();
    await api.db.$executeRaw`INSERT INTO campaign_link_queue (bundle_id) SELECT id FROM bundles`;
    await api.db.$executeRaw`INSERT INTO outbox_events (topic, payload) VALUES ('campaigns.relink', '{}'::jsonb)`;
    await api.db.$executeRaw`SELECT pg_notify('sigfed_outbox', '')`;
    await settle();
    expect(await api.db.campaign.findMany({ orderBy: { id: 'asc' } })).toEqual(before);
    expect(await api.db.webhookDelivery.count()).toBe(deliveries);
  });

  it('drops a suspended lab from its campaigns and brings it back on reinstatement', async () => {
    const admin = await api.newMember({ role: MemberRole.ADMIN });
    const adminToken = await admin.token();
    const suspend = await api.gql(
      `mutation($id: ID!) { suspendMember(id: $id, reason: "campaign test") { id status } }`,
      { id: labs.C.id },
      adminToken,
    );
    expect(suspend.errors).toBeUndefined();
    await settle();
    const [a] = await active('A');
    expect(a.memberCount).toBe(2);
    const reinstate = await api.gql(`mutation($id: ID!) { reinstateMember(id: $id) { id status } }`, { id: labs.C.id }, adminToken);
    expect(reinstate.errors).toBeUndefined();
    await settle();
    expect((await active('A'))[0].memberCount).toBe(3);
  });

  it('flags a component past CAMPAIGN_MAX_BUNDLES for admins instead of growing it', async () => {
    const d = await api.newMember({ name: 'Lab D' });
    const e = await api.newMember({ name: 'Lab E' });
    tokens.D = await d.token();
    tokens.E = await e.token();
    const chain = (prefix: string, n: number, bridge: Tok) =>
      Array.from({ length: n }, (_, i) => ({
        bundleRef: `${prefix}-${i}`,
        observedAt: '2026-11-20T00:00:00Z',
        indicators: [tok('ACCOUNT_SIGNAL', `${prefix}-${i}`), ...(i === 0 ? [bridge] : [])],
      })).map((b, i, all) => (i > 0 ? { ...b, indicators: [...b.indicators, all[i - 1].indicators[0]] } : b));
    const bridge = tok('PAYMENT_FINGERPRINT', 'd-e');
    for (const [who, prefix] of [
      ['D', 'D'],
      ['E', 'E'],
    ] as const) {
      const res = await api.gql(
        `mutation($input: SubmitBundlesInput!) { submitBundles(input: $input) { accepted } }`,
        { input: { idempotencyKey: randomUUID(), bundles: chain(prefix, 11, bridge) } },
        tokens[who],
      );
      expect(res.errors).toBeUndefined();
    }
    await settle();
    expect(await active('D')).toEqual([]);
    const admin = await api.newMember({ role: MemberRole.ADMIN });
    const flagged = await api.gql<{ overCapCampaigns: { id: string; bundleCount: number; memberCount: number }[] }>(
      `{ overCapCampaigns { id status memberCount bundleCount overCapAt } }`,
      {},
      await admin.token(),
    );
    expect(flagged.errors).toBeUndefined();
    expect(flagged.data!.overCapCampaigns).toHaveLength(1);
    expect(flagged.data!.overCapCampaigns[0].bundleCount).toBeGreaterThan(20);
    // Not for members.
    const refused = await api.gql(`{ overCapCampaigns { id } }`, {}, tokens.D);
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses a bad batch whole, naming each field and rule', async () => {
    const res = await gql<unknown>('A', `mutation($input: SubmitBundlesInput!) { submitBundles(input: $input) { accepted } }`, {
      input: {
        idempotencyKey: randomUUID(),
        bundles: [
          { bundleRef: 'A-x', observedAt: '2026-11-20T00:00:00Z', indicators: [{ ...T.aOwn, keyEpoch: 'Bad Epoch' }] },
          { bundleRef: 'A-x', observedAt: '2099-01-01T00:00:00Z', indicators: [] },
        ],
      },
    });
    const problems = (res.errors?.[0].extensions?.problems ?? []) as { field: string; rule: string }[];
    expect(problems.map((p) => `${p.field.replace(/^input\./, '')}:${p.rule}`).sort()).toEqual(
      [
        'bundles.0.indicators.0.keyEpoch:matches',
        'bundles.1.bundleRef:unique',
        'bundles.1.indicators:arrayMinSize',
        'bundles.1.observedAt:notInFuture',
      ].sort(),
    );
    expect(await api.db.bundle.count({ where: { bundleRef: 'A-x' } })).toBe(0);
  });
});
