import { createHash, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpiryService } from '@app/correlation';
import { createKeyEpoch, retireKeyEpoch } from '../apps/cli/src/commands/key-epochs.command.js';
import { TestContext, type TestMember } from './support/context.js';
import { outboxDrained, until } from './support/wait.js';
import { startWorker, WebhookReceiver } from './support/webhooks.js';

/**
 * Campaigns follow what the members' plain indicators say about a token
 * (docs/campaigns.md#consistency-with-plain-indicators): a bundle's tokens
 * are its member's indicators, so submitIndicators, retractIndicators,
 * expiry, quarantine and key-epoch retirement change which tokens link, and
 * the linker links again what they join. Each case builds a chain A - B - C
 * (A and B share tAB, B and C share tBC) and cuts tBC one way.
 */

const ENV = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };
const EPOCH = '2026-q4';
const RETIRING = 'to-retire';
const SUBMIT = `mutation($input: SubmitBundlesInput!) { submitBundles(input: $input) { accepted } }`;
const ACK = 'mutation($id: ID!, $v: Verdict!) { acknowledgeAlert(id: $id, verdict: $v) { id verdict } }';
const iso = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const hex = (label: string) => createHash('sha256').update(`${label}:${randomUUID()}`).digest('hex');

interface View {
  id: string;
  version: number;
  memberCount: number;
  bundleCount: number;
  ownBundles: { bundleRef: string }[];
}

describe('campaigns: consistency with plain indicators', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  const labs: Record<'A' | 'B' | 'C', TestMember> = {} as never;
  const bearer: Record<string, string> = {};

  const gqlOk = async <D>(lab: 'A' | 'B' | 'C', query: string, variables: Record<string, unknown>): Promise<D> => {
    const res = await ctx.gql<D>(query, variables, bearer[lab]);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!;
  };
  const settle = () => outboxDrained(ctx.db, 30_000);
  const bundle = (lab: 'A' | 'B' | 'C', ref: string, tokens: { keyEpoch: string; token: string }[]) =>
    gqlOk(lab, SUBMIT, {
      input: {
        idempotencyKey: randomUUID(),
        bundles: [
          { bundleRef: ref, observedAt: '2026-11-20T10:15:00Z', indicators: tokens.map((t) => ({ type: 'ACCOUNT_SIGNAL', ...t })) },
        ],
      },
    });
  /** The lab's ACTIVE campaign holding its bundle `ref`, if any. */
  const campaignOf = async (lab: 'A' | 'B' | 'C', ref: string): Promise<View | undefined> => {
    const data = await gqlOk<{ campaigns: { edges: { node: View & { status: string } }[] } }>(
      lab,
      `{ campaigns(first: 50) { edges { node { id status version memberCount bundleCount ownBundles { bundleRef } } } } }`,
      {},
    );
    return data.campaigns.edges.map((e) => e.node).find((c) => c.status === 'ACTIVE' && c.ownBundles.some((b) => b.bundleRef === ref));
  };

  /** The chain A - B - C; returns its campaign and the token that joins C. */
  const chain = async (label: string, cutEpoch = EPOCH) => {
    const tAB = { keyEpoch: EPOCH, token: hex(`${label}-ab`) };
    const tBC = { keyEpoch: cutEpoch, token: hex(`${label}-bc`) };
    await bundle('A', `${label}-A`, [tAB]);
    await bundle('B', `${label}-B`, [tAB, tBC]);
    await bundle('C', `${label}-C`, [tBC]);
    await settle();
    const campaign = await campaignOf('B', `${label}-B`);
    expect(campaign).toMatchObject({ memberCount: 3, bundleCount: 3 });
    expect((await campaignOf('C', `${label}-C`))?.id).toBe(campaign!.id);
    return { campaign: campaign!, tBC };
  };

  /** C is cut off: A and B keep the campaign's id at a new version; C's bundle is in no campaign. */
  const expectSplit = async (label: string, before: View) => {
    expect(await campaignOf('B', `${label}-B`)).toMatchObject({
      id: before.id,
      version: before.version + 1,
      memberCount: 2,
      bundleCount: 2,
    });
    expect(await campaignOf('C', `${label}-C`)).toBeUndefined();
    const row = await ctx.db.bundle.findFirstOrThrow({ where: { memberId: labs.C.id, bundleRef: `${label}-C` } });
    expect(row.campaignId).toBeNull();
  };

  beforeAll(async () => {
    ctx = await TestContext.start(ENV);
    worker = await startWorker(ENV);
    for (const name of ['A', 'B', 'C'] as const) {
      labs[name] = await ctx.newMember({ name: `Lab ${name}` });
      bearer[name] = await labs[name].token();
    }
    await createKeyEpoch(ctx.config, { epoch: EPOCH, notBefore: iso(-10), notAfter: iso(80), scheme: 'HMAC' });
    await createKeyEpoch(ctx.config, { epoch: RETIRING, notBefore: iso(-10), notAfter: iso(80), scheme: 'HMAC' });
  });
  afterAll(async () => {
    await worker?.close();
    await ctx?.close();
  });

  it('splits when C retracts the bridging token with retractIndicators, and joins again when it submits it', async () => {
    const { campaign, tBC } = await chain('retract');
    const retract = await gqlOk<{ retractIndicators: { retracted: number } }>(
      'C',
      'mutation($i: RetractIndicatorsInput!) { retractIndicators(input: $i) { retracted } }',
      { i: { type: 'ACCOUNT_SIGNAL', keyEpoch: tBC.keyEpoch, tokens: [tBC.token] } },
    );
    expect(retract.retractIndicators.retracted).toBe(1);
    await settle();
    await expectSplit('retract', campaign);

    // A plain submitIndicators of the token makes it C's indicator again: a match, so C's bundle links.
    await ctx.submit(labs.C, [{ token: tBC.token, keyEpoch: tBC.keyEpoch }]);
    await settle();
    expect(await campaignOf('C', 'retract-C')).toMatchObject({ id: campaign.id, version: campaign.version + 2, memberCount: 3 });
  });

  it("splits when C's indicator of the bridging token expires and the sweep runs", async () => {
    const { campaign, tBC } = await chain('expire');
    await ctx.db.$executeRaw`UPDATE indicators SET expires_at = now() - interval '1 second'
                              WHERE member_no = (SELECT member_no FROM members WHERE id = ${labs.C.id}::uuid) AND token = ${Buffer.from(tBC.token, 'hex')}`;
    expect(await worker.get(ExpiryService).sweep()).toBeGreaterThanOrEqual(1);
    await settle();
    await expectSplit('expire', campaign);
  });

  it('splits when the bridging token is quarantined by false-positive verdicts', async () => {
    const { campaign, tBC } = await chain('quarantine');
    for (const lab of ['B', 'C'] as const) {
      const alert = await ctx.db.alert.findFirstOrThrow({
        where: { memberId: labs[lab].id, match: { token: Buffer.from(tBC.token, 'hex') } },
      });
      await gqlOk(lab, ACK, { id: alert.id, v: 'FALSE_POSITIVE' });
      await settle();
    }
    expect(await ctx.db.quarantinedToken.count({ where: { token: Buffer.from(tBC.token, 'hex') } })).toBe(1);
    await expectSplit('quarantine', campaign);
  });

  it("splits when the bridging token's key epoch is retired", async () => {
    const { campaign } = await chain('retire', RETIRING);
    await retireKeyEpoch(ctx.config, RETIRING);
    await settle();
    await expectSplit('retire', campaign);
  });
});

describe('campaigns: several workers, concurrent submissions', () => {
  let ctx: TestContext;
  const workers: INestApplication[] = [];
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // Concurrent calls of one member, so that the linkers meet at the lock.
    ctx = await TestContext.start({ ...ENV, SUBMISSION_MEMBER_CONCURRENCY: '32' });
    workers.push(await startWorker(ENV), await startWorker(ENV));
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    for (const w of workers) await w.close();
    await receiver?.close();
    await ctx?.close();
  });

  it('sends campaign.created for every bundle that makes a campaign, once, while two linkers race', async () => {
    const [holder, sender] = [await ctx.newMember(), await ctx.newMember()];
    await ctx.newEndpoint(sender, { url: receiver.url('/sender'), eventTypes: ['campaign.created'] });
    const [holderToken, senderToken] = [await holder.token(), await sender.token()];
    const n = 30;
    const shared = Array.from({ length: n }, (_, k) => hex(`race-${k}`));
    const submit = (token: string, bundles: { ref: string; token: string }[]) =>
      ctx.gql(
        SUBMIT,
        {
          input: {
            idempotencyKey: randomUUID(),
            bundles: bundles.map((b) => ({
              bundleRef: b.ref,
              observedAt: '2026-11-20T10:15:00Z',
              indicators: [{ type: 'ACCOUNT_SIGNAL', keyEpoch: EPOCH, token: b.token }],
            })),
          },
        },
        token,
      );
    expect(
      (
        await submit(
          holderToken,
          shared.map((token, k) => ({ ref: `held-${k}`, token })),
        )
      ).errors,
    ).toBeUndefined();
    await outboxDrained(ctx.db, 30_000);
    // Each call makes one campaign; the calls overlap, so the two workers' linkers meet at the lock.
    const answers = await Promise.all(shared.map((token, k) => submit(senderToken, [{ ref: `sent-${k}`, token }])));
    for (const a of answers) expect(a.errors).toBeUndefined();
    await outboxDrained(ctx.db, 30_000);
    const named = () =>
      receiver
        .at('/sender')
        .flatMap((r) => (JSON.parse(r.body) as { data: { ownBundles: { bundleRef: string }[] } }).data.ownBundles.map((b) => b.bundleRef));
    await until(() => new Set(named()).size === n, `${n} campaign.created webhooks`, 30_000);
    expect(named().sort()).toEqual(shared.map((_, k) => `sent-${k}`).sort());
    expect(await ctx.db.campaignMember.count({ where: { memberId: sender.id, campaign: { status: 'ACTIVE' } } })).toBe(n);
  });
});
