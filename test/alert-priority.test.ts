import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndicatorType, PrismaService } from '@app/database';
import { IndicatorsService } from '@app/indicators';
import { ownerDb, TestContext, type TestMember, testToken } from './support/context.js';
import { outboxDrained } from './support/wait.js';
import { startWorker } from './support/webhooks.js';

const DAY_MS = 86_400_000;
const PAGE = `query($first: Int, $after: String) {
  alerts(first: $first, after: $after, orderBy: PRIORITY) {
    edges { cursor node { id token priority lastObservedOn otherHolderCount } } pageInfo { hasNextPage endCursor } } }`;

type Node = { id: string; token: string; priority: number; lastObservedOn: string | null; otherHolderCount: number };

/**
 * Alert.priority and alerts(orderBy: PRIORITY) (docs/indicators-and-alerts.md#priority):
 * the documented formula, freshness from re-observation at day precision,
 * and keyset paging that returns every alert once, in order.
 */
describe('alert priority', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  let db: PrismaService;
  let a: TestMember;
  let b: TestMember;
  let c: TestMember;
  let d: TestMember;
  const tokens: Record<string, string> = {};

  const submit = (member: TestMember, token: string, confidence = 50) =>
    ctx.app.get(IndicatorsService).submit(member.id, {
      idempotencyKey: randomUUID(),
      indicators: [{ type: 'ACCOUNT_SIGNAL' as IndicatorType, keyEpoch: '2026-q4', token, confidence }],
    });
  const alertId = async (member: TestMember, token: string) =>
    (await db.alert.findFirstOrThrow({ where: { memberId: member.id, match: { token: Buffer.from(token, 'hex') } } })).id;
  const verdict = async (member: TestMember, token: string, v: string) => {
    const res = await ctx.gql(
      'mutation($id: ID!, $v: Verdict!) { acknowledgeAlert(id: $id, verdict: $v) { id } }',
      { id: await alertId(member, token), v },
      await member.token(),
    );
    expect(res.errors).toBeUndefined();
  };
  const page = async (first: number, after?: string) => {
    const res = await ctx.gql<{
      alerts: { edges: { cursor: string; node: Node }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
    }>(PAGE, { first, after }, await a.token());
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.alerts;
  };
  const all = async (first: number) => {
    const nodes: Node[] = [];
    let after: string | undefined;
    for (;;) {
      const p = await page(first, after);
      nodes.push(...p.edges.map((e) => e.node));
      if (!p.pageInfo.hasNextPage) return nodes;
      after = p.pageInfo.endCursor;
    }
  };
  const byToken = async () => new Map((await all(100)).map((n) => [n.token, n]));
  const today = () => new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    ctx = await TestContext.start();
    worker = await startWorker();
    db = await ownerDb();
    [a, b, c, d] = await Promise.all(['A', 'B', 'C', 'D'].map((n) => ctx.newMember({ name: `Lab ${n}` })));
    for (const name of ['pair', 'trio', 'confirmed', 'disowned', 'confident', 'stale']) tokens[name] = testToken(`priority-${name}`);
    await submit(a, tokens.pair);
    await submit(b, tokens.pair);
    for (const m of [a, b, c]) await submit(m, tokens.trio);
    for (const m of [a, b, c, d]) await submit(m, tokens.confirmed);
    for (const m of [a, b, c]) await submit(m, tokens.disowned);
    await submit(a, tokens.confident, 100);
    await submit(b, tokens.confident, 90);
    await submit(a, tokens.stale);
    await submit(b, tokens.stale);
    await outboxDrained(db);
    await verdict(c, tokens.confirmed, 'CONFIRMED_ABUSE');
    await verdict(b, tokens.disowned, 'FALSE_POSITIVE');
    // A's own verdict never counts in A's priority (it is about the other holders).
    await verdict(a, tokens.pair, 'CONFIRMED_ABUSE');
    await outboxDrained(db);
  });
  afterAll(async () => {
    await worker?.close();
    await ctx?.close();
    await db?.$disconnect();
  });

  it('follows the documented formula: holders, confirmations, false positives, confidence, freshness', async () => {
    const seen = await byToken();
    // 10 per other holder, 15 per other confirmation, -15 per other false positive, 2 * round(mean confidence / 20); observed today.
    expect(seen.get(tokens.pair)).toMatchObject({ priority: 10 + 2 * 3, lastObservedOn: today() });
    expect(seen.get(tokens.trio)!.priority).toBe(20 + 6);
    expect(seen.get(tokens.confirmed)!.priority).toBe(30 + 15 + 6);
    expect(seen.get(tokens.disowned)!.priority).toBe(20 - 15 + 6);
    expect(seen.get(tokens.confident)!.priority).toBe(10 + 2 * Math.round(95 / 20));
  });

  it('falls by one a day the token is not observed, and a re-observation brings it back', async () => {
    const stale = Buffer.from(tokens.stale, 'hex');
    const threeDaysAgo = new Date(Date.now() - 3 * DAY_MS);
    await db.indicator.updateMany({ where: { token: stale }, data: { lastSeenAt: threeDaysAgo } });
    const match = await db.match.findFirstOrThrow({ where: { token: stale } });
    await db.$executeRaw`SELECT refresh_alert_priority(ARRAY[${match.id}::uuid])`;
    const before = (await byToken()).get(tokens.stale)!;
    expect(before).toMatchObject({ priority: 16 - 3, lastObservedOn: threeDaysAgo.toISOString().slice(0, 10) });

    // B submits it again: the same match, a fresh last-seen day, back to full priority.
    await submit(b, tokens.stale);
    await outboxDrained(db);
    expect((await byToken()).get(tokens.stale)).toMatchObject({ priority: 16, lastObservedOn: today() });
  });

  it('orders by priority, then id, and pages through every alert exactly once', async () => {
    const full = await all(100);
    expect(full).toHaveLength(6);
    for (let i = 1; i < full.length; i++) {
      const [prev, next] = [full[i - 1], full[i]];
      expect(prev.priority > next.priority || (prev.priority === next.priority && prev.id > next.id)).toBe(true);
    }
    // pair and stale tie at 16: the tie-breaker decides, the same on every page size.
    expect(full.filter((n) => n.priority === 16)).toHaveLength(2);
    for (const size of [1, 2, 4]) expect((await all(size)).map((n) => n.id)).toEqual(full.map((n) => n.id));

    // A change between pages moves only the changed alert; the cursor keeps its place for the rest.
    const first = await page(3);
    await verdict(d, tokens.confirmed, 'FALSE_POSITIVE');
    await outboxDrained(db);
    const rest = await all(100);
    const second = await page(100, first.pageInfo.endCursor);
    const firstIds = first.edges.map((e) => e.node.id);
    const expected = rest.filter((n) => !firstIds.includes(n.id) && rest.indexOf(n) >= rest.findIndex((m) => m.id === firstIds[2]));
    expect(second.edges.map((e) => e.node.id)).toEqual(expected.map((n) => n.id));
  });

  it('refuses a cursor of the other order, and a forged one', async () => {
    const newest = await ctx.gql<{ alerts: { edges: { cursor: string }[] } }>(
      '{ alerts(first: 1) { edges { cursor } } }',
      {},
      await a.token(),
    );
    const res = await ctx.gql(PAGE, { first: 1, after: newest.data!.alerts.edges[0].cursor }, await a.token());
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const forged = Buffer.from(JSON.stringify(['alerts-priority', 2 ** 40, randomUUID()])).toString('base64url');
    expect((await ctx.gql(PAGE, { first: 1, after: forged }, await a.token())).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
    });
  });
});
