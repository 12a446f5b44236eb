import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaService } from '@app/database';
import { TestContext, type TestMember, testToken } from './support/context.js';

const ACK = 'mutation($id: ID!, $v: Verdict!) { acknowledgeAlert(id: $id, verdict: $v) { id } }';
const COUNTS = 'query($id: ID!) { alert(id: $id) { verdictCounts { confirmedAbuse falsePositive underReview } } }';
const VERDICTS = ['CONFIRMED_ABUSE', 'FALSE_POSITIVE', 'UNDER_REVIEW'] as const;
type Counts = { confirmedAbuse: number; falsePositive: number; underReview: number };

/**
 * An alert's verdict counts are kept on its match (match_verdict_counts
 * migration) and must always be what counting the match's other alerts
 * says: the verdicts of ACTIVE members other than the reader. Checked after
 * holders give and change verdicts all at once, while one is suspended and
 * reinstated at the same time, and after a holder is deleted.
 */
describe('verdict counts kept on the match', () => {
  let ctx: TestContext;
  let db: PrismaService;
  let admin: TestMember;
  const holders: TestMember[] = [];

  beforeAll(async () => {
    ctx = await TestContext.start();
    db = ctx.db;
    admin = await ctx.newAdmin();
    for (let i = 0; i < 8; i++) holders.push(await ctx.newMember());
  });
  afterAll(async () => ctx?.close());

  /** A match every holder has an alert on (written directly: correlation is not under test here). */
  const newMatch = async () => {
    const now = new Date();
    const match = await db.match.create({
      data: {
        type: 'ACCOUNT_SIGNAL',
        keyEpoch: '2026-q4',
        token: Buffer.from(testToken('verdict-counts'), 'hex'),
        holderCount: holders.length,
        firstSeenAt: now,
        lastSeenAt: now,
      },
    });
    const alerts = new Map<string, string>();
    for (const h of holders) {
      const alert = await db.alert.create({ data: { matchId: match.id, memberId: h.id, otherHolders: holders.length - 1 } });
      alerts.set(h.id, alert.id);
    }
    return { matchId: match.id, alerts };
  };

  /** The counts by recount, for the reader's alert on the match. */
  const recount = async (matchId: string, readerId: string): Promise<Counts> => {
    const others = await db.alert.findMany({
      where: { matchId, memberId: { not: readerId }, verdict: { not: null }, member: { status: 'ACTIVE' } },
      select: { verdict: true },
    });
    const n = (v: string) => others.filter((o) => o.verdict === v).length;
    return { confirmedAbuse: n('CONFIRMED_ABUSE'), falsePositive: n('FALSE_POSITIVE'), underReview: n('UNDER_REVIEW') };
  };

  const shown = async (reader: TestMember, alertId: string): Promise<Counts> => {
    const res = await ctx.gql<{ alert: { verdictCounts: Counts } }>(COUNTS, { id: alertId }, await reader.token());
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.alert.verdictCounts;
  };

  const expectExact = async (matchId: string, alerts: Map<string, string>, readers: TestMember[]) => {
    for (const reader of readers) expect(await shown(reader, alerts.get(reader.id)!)).toEqual(await recount(matchId, reader.id));
    const stored = await db.match.findUniqueOrThrow({ where: { id: matchId } });
    const all = await db.alert.findMany({ where: { matchId, verdict: { not: null }, member: { status: 'ACTIVE' } } });
    expect([stored.verdictConfirmedAbuse, stored.verdictFalsePositive, stored.verdictUnderReview]).toEqual(
      VERDICTS.map((v) => all.filter((a) => a.verdict === v).length),
    );
  };

  const ack = async (member: TestMember, alertId: string, v: (typeof VERDICTS)[number]) => {
    const res = await ctx.gql(ACK, { id: alertId, v }, await member.token());
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  };
  const admin$ = async (doc: string, id: string) => {
    const res = await ctx.gql(doc, { id }, await admin.token());
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  };

  it('stays exact under concurrent verdicts on one match and a suspension racing them', async () => {
    const { matchId, alerts } = await newMatch();
    const suspended = holders[7];
    // Every holder gives a verdict, then changes it, all at once; the eighth is suspended and reinstated meanwhile
    // (its verdicts written as the tables' owner: a suspended member gets no token).
    await Promise.all([
      ...holders.slice(0, 7).map(async (h, i) => {
        for (let round = 0; round < 3; round++) await ack(h, alerts.get(h.id)!, VERDICTS[(i + round) % 3]);
      }),
      (async () => {
        for (let round = 0; round < 6; round++) {
          await db.alert.update({ where: { id: alerts.get(suspended.id)! }, data: { verdict: VERDICTS[round % 3] } });
        }
      })(),
      (async () => {
        await admin$('mutation($id: ID!) { suspendMember(id: $id, reason: "racing verdicts") { id } }', suspended.id);
        await admin$('mutation($id: ID!) { reinstateMember(id: $id) { id } }', suspended.id);
        await admin$('mutation($id: ID!) { suspendMember(id: $id, reason: "racing verdicts") { id } }', suspended.id);
      })(),
    ]);
    // The suspended holder's verdict counts for nobody; the others see each other's, never their own.
    await expectExact(matchId, alerts, holders.slice(0, 7));
    const total = await shown(holders[0], alerts.get(holders[0].id)!);
    expect(total.confirmedAbuse + total.falsePositive + total.underReview).toBe(6);

    await admin$('mutation($id: ID!) { reinstateMember(id: $id) { id } }', suspended.id);
    await expectExact(matchId, alerts, holders);
    const after = await shown(holders[0], alerts.get(holders[0].id)!);
    expect(after.confirmedAbuse + after.falsePositive + after.underReview).toBe(7);
  });

  it('takes a deleted holder and a deleted alert off', async () => {
    const { matchId, alerts } = await newMatch();
    for (const [i, h] of holders.entries()) await ack(h, alerts.get(h.id)!, VERDICTS[i % 3]);
    await expectExact(matchId, alerts, holders);
    const gone = await ctx.newMember();
    const goneAlert = await db.alert.create({
      data: { matchId, memberId: gone.id, otherHolders: holders.length, verdict: 'CONFIRMED_ABUSE' },
    });
    await expectExact(matchId, alerts, holders);
    await db.member.delete({ where: { id: gone.id } });
    expect(await db.alert.count({ where: { id: goneAlert.id } })).toBe(0);
    await expectExact(matchId, alerts, holders);
    await db.alert.delete({ where: { id: alerts.get(holders[1].id)! } });
    await expectExact(matchId, alerts, [holders[0], ...holders.slice(2)]);
  });
});
