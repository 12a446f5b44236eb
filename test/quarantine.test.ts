import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationService } from '@app/correlation';
import type { PrismaService } from '@app/database';
import { ownerDb, TestContext, type TestMember, testToken } from './support/context.js';
import { outboxDrained } from './support/wait.js';
import { startWorker, WebhookReceiver } from './support/webhooks.js';

const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };
const ACK = 'mutation($id: ID!, $v: Verdict!) { acknowledgeAlert(id: $id, verdict: $v) { id verdict } }';
const RELEASE = 'mutation($i: ReleaseQuarantineInput!) { releaseQuarantine(input: $i) }';
const QUEUE = '{ quarantinedTokens(first: 100) { edges { node { type keyEpoch token falsePositives confirmations quarantinedAt } } } }';

/**
 * Quarantine (docs/indicators-and-alerts.md#quarantine): members'
 * FALSE_POSITIVE verdicts that reach QUARANTINE_MIN_FALSE_POSITIVES (2) and
 * outnumber confirmations close the token's alerts (QUARANTINED) and stop it
 * matching until an admin releases it; after a release only newer false
 * positives count. Through the real outbox, worker and webhooks.
 */
describe('quarantine', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  let receiver: WebhookReceiver;
  let admin: TestMember;
  let a: TestMember;
  let b: TestMember;
  let c: TestMember;
  let d: TestMember;
  let e: TestMember;
  let endpointA: string;
  let db: PrismaService;

  const alertOf = (member: TestMember, token: string) =>
    db.alert.findFirstOrThrow({ where: { memberId: member.id, match: { token: Buffer.from(token, 'hex') } } });
  const eventsOf = async (alertId: string) =>
    (await db.alertEvent.findMany({ where: { alertId }, orderBy: { seq: 'asc' } })).map((ev) => `${ev.type}@${ev.version}`);
  const deliveriesOf = async (alertId: string) =>
    (await db.webhookDelivery.findMany({ where: { endpointId: endpointA }, orderBy: { createdAt: 'asc' } }))
      .filter((dl) => dl.body.includes(alertId))
      .map((dl) => dl.eventType);
  const gql = async (doc: string, vars: Record<string, unknown>, member: TestMember) => ctx.gql(doc, vars, await member.token());
  const gqlOk = async (doc: string, vars: Record<string, unknown>, member: TestMember) => {
    const res = await gql(doc, vars, member);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!;
  };
  const verdict = async (member: TestMember, token: string, v: 'FALSE_POSITIVE' | 'CONFIRMED_ABUSE' | 'UNDER_REVIEW') => {
    await gqlOk(ACK, { id: (await alertOf(member, token)).id, v }, member);
    await outboxDrained(db);
  };
  const isQuarantined = async (token: string) =>
    (await db.quarantinedToken.count({ where: { type: 'ACCOUNT_SIGNAL', keyEpoch: '2026-q4', token: Buffer.from(token, 'hex') } })) === 1;
  const statuses = async (token: string, members: TestMember[]) => Promise.all(members.map(async (m) => (await alertOf(m, token)).status));
  const release = async (token: string, extra: Record<string, unknown> = {}) => {
    await gqlOk(RELEASE, { i: { type: 'ACCOUNT_SIGNAL', keyEpoch: '2026-q4', token, ...extra } }, admin);
    await outboxDrained(db);
  };

  beforeAll(async () => {
    ctx = await TestContext.start(POLICY);
    worker = await startWorker(POLICY);
    db = await ownerDb();
    receiver = await WebhookReceiver.start();
    admin = await ctx.newAdmin();
    a = await ctx.newMember({ name: 'Lab A' });
    b = await ctx.newMember({ name: 'Lab B' });
    c = await ctx.newMember({ name: 'Lab C' });
    d = await ctx.newMember({ name: 'Lab D' });
    e = await ctx.newMember({ name: 'Lab E' });
    endpointA = (await ctx.newEndpoint(a, { url: receiver.url() })).id;
  });
  afterAll(async () => {
    await worker?.close();
    await receiver?.close();
    await ctx?.close();
    await db?.$disconnect();
  });

  it('enters at two false positives: every alert closes QUARANTINED with one event, and the token stops matching', async () => {
    const token = testToken('quarantine-enter');
    await ctx.shareToken([a, b, c, d], token);
    await outboxDrained(db);
    const mine = await alertOf(a, token);
    const before = await eventsOf(mine.id);
    const v = mine.version;

    await verdict(b, token, 'FALSE_POSITIVE');
    expect(await isQuarantined(token)).toBe(false);
    expect(await alertOf(a, token)).toMatchObject({ status: 'OPEN', version: v + 1 });

    await verdict(c, token, 'FALSE_POSITIVE');
    expect(await isQuarantined(token)).toBe(true);
    expect(await statuses(token, [a, b, c, d])).toEqual(['CLOSED', 'CLOSED', 'CLOSED', 'CLOSED']);
    // One event per change A can see: B's verdict (an update), then C's, which quarantined the token (the close).
    expect(await eventsOf(mine.id)).toEqual([...before, `alert.updated@${v + 1}`, `alert.closed@${v + 2}`]);
    expect((await deliveriesOf(mine.id)).slice(-2)).toEqual(['alert.updated', 'alert.closed']);
    expect(await deliveriesOf(mine.id)).toHaveLength(before.length + 2);
    const seen = await gqlOk('query($id: ID!) { alert(id: $id) { status closeReason version } }', { id: mine.id }, a);
    expect(seen).toEqual({ alert: { status: 'CLOSED', closeReason: 'QUARANTINED', version: v + 2 } });

    const queue = (await gqlOk(QUEUE, {}, admin)).quarantinedTokens as { edges: { node: Record<string, unknown> }[] };
    expect(queue.edges.map((edge) => edge.node)).toContainEqual(
      expect.objectContaining({ type: 'ACCOUNT_SIGNAL', keyEpoch: '2026-q4', token, falsePositives: 2, confirmations: 0 }),
    );
    expect(await db.auditEvent.count({ where: { action: 'quarantine.entered', targetId: `ACCOUNT_SIGNAL:2026-q4:${token}` } })).toBe(1);

    // A new holder opens nothing while the token is quarantined.
    await ctx.shareToken([e], token);
    await outboxDrained(db);
    expect(await db.alert.count({ where: { memberId: e.id, match: { token: Buffer.from(token, 'hex') } } })).toBe(0);
    // At-least-once: the verdict event handled again quarantines nothing twice and announces nothing.
    expect(await worker.get(CorrelationService).announceVerdict((await alertOf(c, token)).id)).toEqual([]);
    expect(await eventsOf(mine.id)).toHaveLength(before.length + 2);
  });

  it('needs more false positives than confirmations: a tie keeps the alerts open, one more false positive quarantines', async () => {
    const token = testToken('quarantine-tie');
    await ctx.shareToken([a, b, c, d, e], token);
    await outboxDrained(db);
    await verdict(a, token, 'CONFIRMED_ABUSE');
    await verdict(d, token, 'CONFIRMED_ABUSE');
    await verdict(b, token, 'FALSE_POSITIVE');
    await verdict(c, token, 'FALSE_POSITIVE');
    // Two against two: not a majority.
    expect(await isQuarantined(token)).toBe(false);
    expect(await statuses(token, [a, b, c, d, e])).toEqual(['OPEN', 'OPEN', 'OPEN', 'OPEN', 'OPEN']);
    // UNDER_REVIEW counts for neither side.
    await verdict(e, token, 'UNDER_REVIEW');
    expect(await isQuarantined(token)).toBe(false);
    await verdict(e, token, 'FALSE_POSITIVE');
    expect(await isQuarantined(token)).toBe(true);
    expect(await statuses(token, [a, b, c, d, e])).toEqual(['CLOSED', 'CLOSED', 'CLOSED', 'CLOSED', 'CLOSED']);
  });

  it('a release reopens the alerts; old false positives do not undo a confirmation given after it; new ones re-quarantine', async () => {
    const token = testToken('quarantine-release');
    await ctx.shareToken([a, b, c, d], token);
    await outboxDrained(db);
    const mine = await alertOf(a, token);
    await verdict(b, token, 'FALSE_POSITIVE');
    await verdict(c, token, 'FALSE_POSITIVE');
    expect(await isQuarantined(token)).toBe(true);
    const closed = await eventsOf(mine.id);
    expect(closed.at(-1)).toBe(`alert.closed@${(await alertOf(a, token)).version}`);

    await release(token, { reason: 'checked: a real campaign' });
    expect(await isQuarantined(token)).toBe(false);
    expect(await statuses(token, [a, b, c, d])).toEqual(['OPEN', 'OPEN', 'OPEN', 'OPEN']);
    expect(await eventsOf(mine.id)).toEqual([...closed, `alert.updated@${closed.length + 1}`]);
    const reopened = await gqlOk('query($id: ID!) { alert(id: $id) { status closeReason } }', { id: mine.id }, a);
    expect(reopened).toEqual({ alert: { status: 'OPEN', closeReason: null } });
    expect(
      await db.auditEvent.findFirst({ where: { action: 'quarantine.released', targetId: `ACCOUNT_SIGNAL:2026-q4:${token}` } }),
    ).toMatchObject({ details: { suppress: false, falsePositives: 2, confirmations: 0, reason: 'checked: a real campaign' } });

    // Released twice: nothing is quarantined any more.
    const again = await gql(RELEASE, { i: { type: 'ACCOUNT_SIGNAL', keyEpoch: '2026-q4', token } }, admin);
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect(again.errors?.[0]?.message).toBe('token is not quarantined');

    // D confirms after the release; B's and C's old false positives, replayed, do not quarantine again.
    await verdict(d, token, 'CONFIRMED_ABUSE');
    const correlation = worker.get(CorrelationService);
    expect(await correlation.announceVerdict((await alertOf(b, token)).id)).toEqual([]);
    expect(await correlation.announceVerdict((await alertOf(c, token)).id)).toEqual([]);
    expect(await isQuarantined(token)).toBe(false);
    expect(await statuses(token, [a, b, c, d])).toEqual(['OPEN', 'OPEN', 'OPEN', 'OPEN']);

    // B says so again after the release: one new false positive against D's confirmation is not enough.
    await verdict(b, token, 'FALSE_POSITIVE');
    expect(await isQuarantined(token)).toBe(false);
    // C too: two new ones against one confirmation quarantine it again.
    await verdict(c, token, 'FALSE_POSITIVE');
    expect(await isQuarantined(token)).toBe(true);
    expect(await statuses(token, [a, b, c, d])).toEqual(['CLOSED', 'CLOSED', 'CLOSED', 'CLOSED']);
    expect((await alertOf(a, token)).closeReason).toBe('QUARANTINED');
  });

  it('moves a quarantined token to the suppression list: alerts stay closed, both steps audited', async () => {
    const token = testToken('quarantine-suppress');
    await ctx.shareToken([a, b, c], token);
    await outboxDrained(db);
    const mine = await alertOf(a, token);
    await verdict(b, token, 'FALSE_POSITIVE');
    await verdict(c, token, 'FALSE_POSITIVE');
    expect(await isQuarantined(token)).toBe(true);
    const eventsBefore = await eventsOf(mine.id);

    // The suppression needs a reason.
    const noReason = await gql(RELEASE, { i: { type: 'ACCOUNT_SIGNAL', keyEpoch: '2026-q4', token, suppress: true } }, admin);
    expect(noReason.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(noReason.errors?.[0]?.extensions?.problems).toEqual([
      expect.objectContaining({ field: 'input.suppress', rule: 'equals', message: expect.stringContaining('needs a reason') }),
    ]);
    expect(await isQuarantined(token)).toBe(true);

    await release(token, { suppress: true, reason: 'shared test fixture' });
    expect(await isQuarantined(token)).toBe(false);
    expect(await db.suppressedToken.findFirst({ where: { token: Buffer.from(token, 'hex') } })).toMatchObject({
      reason: 'shared test fixture',
      createdById: admin.id,
    });
    expect(await statuses(token, [a, b, c])).toEqual(['CLOSED', 'CLOSED', 'CLOSED']);
    expect(await eventsOf(mine.id)).toEqual(eventsBefore);
    const target = `ACCOUNT_SIGNAL:2026-q4:${token}`;
    expect(await db.auditEvent.findFirst({ where: { action: 'quarantine.released', targetId: target } })).toMatchObject({
      details: { suppress: true, reason: 'shared test fixture' },
    });
    expect(await db.auditEvent.count({ where: { action: 'suppression.added', targetId: target } })).toBe(1);
  });

  it("leaves a suspended member's verdicts out", async () => {
    const token = testToken('quarantine-suspended');
    await ctx.shareToken([a, b, c, d], token);
    await outboxDrained(db);
    await verdict(b, token, 'FALSE_POSITIVE');
    await gqlOk('mutation($id: ID!) { suspendMember(id: $id, reason: "investigating") { id } }', { id: b.id }, admin);
    await outboxDrained(db);
    await verdict(c, token, 'FALSE_POSITIVE');
    // B's verdict does not count while B is suspended: one false positive only.
    expect(await isQuarantined(token)).toBe(false);
    expect(await statuses(token, [a, c, d])).toEqual(['OPEN', 'OPEN', 'OPEN']);
    const counts = await gqlOk(
      'query($id: ID!) { alert(id: $id) { verdictCounts { falsePositive } otherHolderCount } }',
      {
        id: (await alertOf(a, token)).id,
      },
      a,
    );
    expect(counts).toEqual({ alert: { verdictCounts: { falsePositive: 1 }, otherHolderCount: 2 } });
    await gqlOk('mutation($id: ID!) { reinstateMember(id: $id) { id } }', { id: b.id }, admin);
    await outboxDrained(db);
  });
});
