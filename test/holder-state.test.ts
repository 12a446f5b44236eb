import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationService } from '@app/correlation';
import type { IndicatorType, PrismaService } from '@app/database';
import { IndicatorsService } from '@app/indicators';
import { createKeyEpoch, retireKeyEpoch } from '../apps/cli/src/commands/key-epochs.command.js';
import { ownerDb, TestContext, type TestMember, testToken } from './support/context.js';
import { outboxDrained } from './support/wait.js';
import { startWorker, WebhookReceiver } from './support/webhooks.js';

const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };
// A token held by more than 45% of the active members, and by at least 3, is common: small enough to reach here,
// while the two-holder tokens above it stay plain matches.
const COMMON = { COMMON_TOKEN_MIN_HOLDERS: '3', COMMON_TOKEN_SHARE: '0.45' };
const iso = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

/**
 * Alerts follow the state of every holder: suspending or reinstating a member,
 * retiring a key epoch, and another holder's verdict, change the other holders' alerts with a new
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
    worker = await startWorker({ ...POLICY, ...COMMON });
    db = await ownerDb();
    receiver = await WebhookReceiver.start();
    admin = await ctx.newAdmin();
    a = await ctx.newMember({ name: 'Lab A' });
    b = await ctx.newMember({ name: 'Lab B' });
    c = await ctx.newMember({ name: 'Lab C' });
    d = await ctx.newMember({ name: 'Lab D' });
    endpointA = (await ctx.newEndpoint(a, { url: receiver.url() })).id;
    // Once epochs exist every token must carry one: the one the other tests use, and one to retire.
    await createKeyEpoch(ctx.config, { epoch: '2026-q4', notBefore: iso(-10), notAfter: iso(80), scheme: 'HMAC' });
    await createKeyEpoch(ctx.config, { epoch: 'to-retire', notBefore: iso(-10), notAfter: iso(80), scheme: 'HMAC' });
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

  it('retiring a key epoch closes the alerts under it (KEY_EPOCH_RETIRED), with a new version and one event each', async () => {
    const token = testToken('retired-epoch');
    const indicators = ctx.app.get(IndicatorsService);
    const submit = (member: TestMember) =>
      indicators.submit(member.id, {
        idempotencyKey: randomUUID(),
        indicators: [{ type: 'ACCOUNT_SIGNAL' as IndicatorType, keyEpoch: 'to-retire', token }],
      });
    await submit(a);
    await submit(c);
    await outboxDrained(db);
    const mine = await alertOf(a, token);
    const theirs = await alertOf(c, token);
    expect(mine).toMatchObject({ status: 'OPEN', version: 1 });

    await retireKeyEpoch(ctx.config, 'to-retire');
    await outboxDrained(db);
    for (const alert of [mine, theirs]) {
      expect(await db.alert.findUniqueOrThrow({ where: { id: alert.id } })).toMatchObject({
        status: 'CLOSED',
        closeReason: 'KEY_EPOCH_RETIRED',
        version: 2,
      });
      expect(await eventsOf(alert.id)).toEqual(['alert.created@1', 'alert.closed@2']);
    }
    expect(await deliveriesOf(mine.id)).toEqual(['alert.created', 'alert.closed']);
    const seen = await gqlOk('query($id: ID!) { alert(id: $id) { status closeReason } }', { id: mine.id }, a);
    expect(seen).toEqual({ alert: { status: 'CLOSED', closeReason: 'KEY_EPOCH_RETIRED' } });

    // Records under the retired epoch match nothing any more, new ones included; a replay changes nothing.
    await submit(d);
    await outboxDrained(db);
    expect(await db.alert.count({ where: { memberId: d.id, match: { keyEpoch: 'to-retire' } } })).toBe(0);
    expect(await worker.get(CorrelationService).correlateEpoch('to-retire')).toEqual([]);
    // Retiring it again publishes nothing new.
    await retireKeyEpoch(ctx.config, 'to-retire');
    await outboxDrained(db);
    expect(await eventsOf(mine.id)).toEqual(['alert.created@1', 'alert.closed@2']);
  });

  it("a suspended member's records count nowhere: not in holder counts, the common-token rule or new submissions", async () => {
    const e = await ctx.newMember({ name: 'Lab E' });
    const f = await ctx.newMember({ name: 'Lab F' });
    const g = await ctx.newMember({ name: 'Lab G' });
    const h = await ctx.newMember({ name: 'Lab H' });
    // B is still suspended (first test): the admin, A, C, D and E to H are active.
    expect(await db.member.count({ where: { status: 'ACTIVE' } })).toBe(8);
    const common = testToken('suspended-common');
    const later = testToken('suspended-later');
    await ctx.shareToken([e, f, g, h], common);
    await ctx.shareToken([e], later);
    await outboxDrained(db);
    // 4 of 8 active members (> 45%): common; whatever alerts the first holders had closed (COMMON) when the last one joined.
    expect(await db.match.findFirstOrThrow({ where: { token: Buffer.from(common, 'hex') } })).toMatchObject({ status: 'COMMON' });
    const commonAlerts = () => db.alert.findMany({ where: { match: { token: Buffer.from(common, 'hex') } } });
    for (const alert of await commonAlerts()) expect(alert).toMatchObject({ status: 'CLOSED', closeReason: 'COMMON' });

    await suspend(e);
    await outboxDrained(db);
    // Without E's record: 3 of 7 (not > 45%), so F, G and H have a plain match between the three of them.
    const opened = new Map<string, string[]>();
    for (const m of [f, g, h]) {
      const alert = await alertOf(m, common);
      expect(alert).toMatchObject({ status: 'OPEN', otherHolders: 2, closeReason: null });
      const events = await eventsOf(alert.id);
      expect(events.at(-1)).toMatch(new RegExp(`^alert\\.(created|updated)@${alert.version}$`));
      opened.set(m.id, events);
    }
    expect((await commonAlerts()).filter((alert) => alert.memberId === e.id && alert.status === 'OPEN')).toEqual([]);
    // F submits what only suspended E holds: no alert for either.
    await ctx.shareToken([f], later);
    await outboxDrained(db);
    expect(await db.alert.count({ where: { match: { token: Buffer.from(later, 'hex') } } })).toBe(0);

    await reinstate(e);
    await outboxDrained(db);
    // E counts again: the common token's alerts close (COMMON) with one event each, and the later token matches for E and F.
    for (const m of [f, g, h]) {
      const alert = await alertOf(m, common);
      expect(alert).toMatchObject({ status: 'CLOSED', closeReason: 'COMMON' });
      expect(await eventsOf(alert.id)).toEqual([...opened.get(m.id)!, `alert.closed@${alert.version}`]);
    }
    for (const m of [e, f]) expect(await alertOf(m, later)).toMatchObject({ status: 'OPEN', otherHolders: 1, version: 1 });
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
