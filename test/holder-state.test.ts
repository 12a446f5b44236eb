import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationService } from '@app/correlation';
import type { PrismaService } from '@app/database';
import { ownerDb, TestContext, type TestMember, testToken } from './support/context.js';
import { outboxDrained } from './support/wait.js';
import { startWorker, WebhookReceiver } from './support/webhooks.js';

const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };

/**
 * Alerts follow the state of every holder: suspending or reinstating a member,
 * and another holder's verdict, change the other holders' alerts with a new
 * version and exactly one event each (alert_events for subscriptions, a
 * webhook delivery), through the real outbox and worker.
 */
describe('alerts follow every holder state', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  let receiver: WebhookReceiver;
  let admin: TestMember;
  let a: TestMember;
  let b: TestMember;
  let c: TestMember;
  let d: TestMember;
  let endpointA: string;
  // Assertions look across members: as the tables' owner.
  let db: PrismaService;

  const alertOf = (member: TestMember, token: string) =>
    db.alert.findFirstOrThrow({ where: { memberId: member.id, match: { token: Buffer.from(token, 'hex') } } });
  const eventsOf = async (alertId: string) =>
    (await db.alertEvent.findMany({ where: { alertId }, orderBy: { seq: 'asc' } })).map((e) => `${e.type}@${e.version}`);
  const deliveriesOf = async (alertId: string) =>
    (await db.webhookDelivery.findMany({ where: { endpointId: endpointA }, orderBy: { createdAt: 'asc' } }))
      .filter((d) => d.body.includes(alertId))
      .map((d) => d.eventType);
  const gqlOk = async (doc: string, vars: Record<string, unknown>, member: TestMember) => {
    const res = await ctx.gql(doc, vars, await member.token());
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data;
  };
  const suspend = (member: TestMember) =>
    gqlOk('mutation($id: ID!) { suspendMember(id: $id, reason: "investigating") { id status } }', { id: member.id }, admin);
  const reinstate = (member: TestMember) =>
    gqlOk('mutation($id: ID!) { reinstateMember(id: $id) { id status } }', { id: member.id }, admin);

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
    endpointA = (await ctx.newEndpoint(a, { url: receiver.url() })).id;
  });
  afterAll(async () => {
    await worker?.close();
    await receiver?.close();
    await ctx?.close();
    await db?.$disconnect();
  });

  it('suspending the only other holder closes the alert, with a new version and one event', async () => {
    const token = testToken('suspended-holder');
    await ctx.shareToken([a, b], token);
    await outboxDrained(db);
    const opened = await alertOf(a, token);
    expect(opened).toMatchObject({ status: 'OPEN', otherHolders: 1, version: 1 });

    await suspend(b);
    await outboxDrained(db);
    expect(await alertOf(a, token)).toMatchObject({ id: opened.id, status: 'CLOSED', otherHolders: 0, version: 2 });
    expect(await eventsOf(opened.id)).toEqual(['alert.created@1', 'alert.closed@2']);
    expect(await deliveriesOf(opened.id)).toEqual(['alert.created', 'alert.closed']);
    expect(await alertOf(b, token)).toMatchObject({ status: 'CLOSED' });

    // At-least-once: the same event handled again changes nothing and announces nothing.
    expect(await worker.get(CorrelationService).correlateMember(b.id)).toEqual([]);
    expect(await eventsOf(opened.id)).toEqual(['alert.created@1', 'alert.closed@2']);
  });

  it('reinstating the member reopens the alert without resubmission, with a new version and one event', async () => {
    const token = testToken('reinstated-holder');
    await ctx.shareToken([a, d], token);
    await outboxDrained(db);
    const opened = await alertOf(a, token);
    await suspend(d);
    await outboxDrained(db);
    await reinstate(d);
    await outboxDrained(db);
    expect(await alertOf(a, token)).toMatchObject({ id: opened.id, status: 'OPEN', otherHolders: 1, version: 3 });
    expect(await eventsOf(opened.id)).toEqual(['alert.created@1', 'alert.closed@2', 'alert.updated@3']);
    expect(await deliveriesOf(opened.id)).toEqual(['alert.created', 'alert.closed', 'alert.updated']);
    expect(await alertOf(d, token)).toMatchObject({ status: 'OPEN', otherHolders: 1, version: 3 });
  });

  it("a verdict by another holder bumps A's alert version and sends A exactly one alert.updated", async () => {
    const token = testToken('verdict');
    await ctx.shareToken([a, c], token);
    await outboxDrained(db);
    const mine = await alertOf(a, token);
    const theirs = await alertOf(c, token);
    expect(mine.version).toBe(1);

    const ack = 'mutation($id: ID!, $note: String) { acknowledgeAlert(id: $id, verdict: CONFIRMED_ABUSE, note: $note) { id verdict } }';
    await gqlOk(ack, { id: theirs.id, note: 'seen it' }, c);
    await outboxDrained(db);
    expect(await alertOf(a, token)).toMatchObject({ status: 'OPEN', otherHolders: 1, version: 2 });
    expect(await eventsOf(mine.id)).toEqual(['alert.created@1', 'alert.updated@2']);
    expect(await deliveriesOf(mine.id)).toEqual(['alert.created', 'alert.updated']);
    const counts = await gqlOk('query($id: ID!) { alert(id: $id) { version verdictCounts { confirmedAbuse } } }', { id: mine.id }, a);
    expect(counts).toEqual({ alert: { version: 2, verdictCounts: { confirmedAbuse: 1 } } });

    // The same verdict again (only the private note changes): nothing the other holders see changed.
    await gqlOk(ack, { id: theirs.id, note: 'still seen' }, c);
    await outboxDrained(db);
    expect(await worker.get(CorrelationService).announceVerdict(theirs.id)).toEqual([]);
    expect((await alertOf(a, token)).version).toBe(2);
    expect(await eventsOf(mine.id)).toEqual(['alert.created@1', 'alert.updated@2']);

    // A different verdict is news again: one more version, one more event.
    await gqlOk(ack.replace('CONFIRMED_ABUSE', 'FALSE_POSITIVE'), { id: theirs.id }, c);
    await outboxDrained(db);
    expect((await alertOf(a, token)).version).toBe(3);
    expect(await eventsOf(mine.id)).toEqual(['alert.created@1', 'alert.updated@2', 'alert.updated@3']);
  });
});
