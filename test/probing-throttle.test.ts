import { createHash, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContext, type TestMember } from './support/context.js';
import { until } from './support/wait.js';
import { startWorker, WebhookReceiver } from './support/webhooks.js';

const SUBMIT = 'mutation($input: SubmitIndicatorsInput!) { submitIndicators(input: $input) { accepted duplicates } }';
const ACTIVITY = '{ memberActivity(windowHours: 1) { memberId indicators probing throttled throttledSince throttleReason } }';
const LIFT =
  'mutation($id: ID!, $reason: String!) { liftProbingThrottle(memberId: $id, reason: $reason) { memberId throttled since liftedAt liftedBy } }';
const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };

/** The /24 blocks of 10.0.0.0/8, in order, as tokens: what a prober enumerating the /8 would send. */
const block = (n: number, salt: string) =>
  createHash('sha256')
    .update(`${salt}:10.${n >> 8}.${n & 255}.0/24`)
    .digest('hex');
const ranges = (from: number, count: number, salt: string) =>
  Array.from({ length: count }, (_, i) => ({ type: 'IP_RANGE', keyEpoch: 'e1', token: block(from + i, salt) }));
const submit = (ctx: TestContext, token: string, indicators: unknown[]) =>
  ctx.gql<{ submitIndicators: { accepted: number } }>(SUBMIT, { input: { idempotencyKey: randomUUID(), indicators } }, token);

interface Activity {
  memberId: string;
  probing: boolean;
  throttled: boolean;
  throttledSince: string | null;
  throttleReason: string | null;
}

describe('per-type submission quota at the defaults', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start();
  });
  afterAll(async () => ctx?.close());

  it('refuses IP_RANGE tokens far short of a /8 within the hour, while other types keep flowing', async () => {
    const prober = await ctx.newMember();
    const token = await prober.token();
    const salt = randomUUID();
    let sent = 0;
    let refusal: Record<string, unknown> | undefined;
    // A /8 has 65,536 /24 blocks; at the old default (5,000,000 an hour) all of them passed in seconds.
    while (sent < 65_536 && !refusal) {
      const res = await submit(ctx, token, ranges(sent, 500, salt));
      if (res.errors) refusal = res.errors[0].extensions;
      else sent += res.data!.submitIndicators.accepted;
    }
    expect(refusal).toMatchObject({ code: 'RATE_LIMITED', reason: 'SUBMISSION_QUOTA_EXCEEDED', indicatorType: 'IP_RANGE' });
    const limit = refusal!.limit as number;
    expect(sent).toBe(limit);
    // The arithmetic the default stands on: enumerating one /8 takes days, all of IPv4 (16,777,216 /24s) years.
    expect(65_536 / limit / 24).toBeGreaterThan(2);
    const ipRanges = async () =>
      (await ctx.db.keySpace.findUniqueOrThrow({ where: { type_keyEpoch: { type: 'IP_RANGE', keyEpoch: 'e1' } } })).id;
    expect(await ctx.db.indicator.count({ where: { member: { id: prober.id }, keySpace: await ipRanges() } })).toBe(limit);
    // The other types have the member's overall quota.
    const other = await submit(ctx, token, [{ type: 'ACCOUNT_SIGNAL', keyEpoch: 'e1', token: block(1, 'acct') }]);
    expect(other.errors).toBeUndefined();

    // A member whose own quota an admin set (a lab backfilling its range list) is held to that quota alone.
    const admin = await ctx.newAdmin();
    const set = await ctx.gql(
      'mutation($id: ID!) { setSubmissionQuota(memberId: $id, indicatorsPerHour: 100000) { id } }',
      { id: prober.id },
      await admin.token(),
    );
    expect(set.errors).toBeUndefined();
    expect((await submit(ctx, token, ranges(sent, 500, salt))).errors).toBeUndefined();
  });
});

describe('probing throttle at the default thresholds', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start();
  });
  afterAll(async () => ctx?.close());

  it('throttles a member after 10,000 new indicators, a type without its own quota', async () => {
    const prober = await ctx.newMember();
    const token = await prober.token();
    const guesses = Array.from({ length: 10_000 }, (_, i) => ({ type: 'ACCOUNT_SIGNAL', keyEpoch: 'e1', token: block(i, randomUUID()) }));
    expect((await submit(ctx, token, guesses)).errors).toBeUndefined();
    const next = await submit(ctx, token, ranges(0, 101, randomUUID()));
    expect(next.errors?.[0].extensions).toMatchObject({ reason: 'PROBING_THROTTLED', limit: 100 });
    const member = await ctx.db.member.findUniqueOrThrow({ where: { id: prober.id } });
    expect(member.probingThrottledSince).toBeInstanceOf(Date);
    expect(member.probingThrottleReason).toMatch(/^10000 indicators within 24 h, 100.0 % of them new/);
  });
});

describe('probing throttle', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  let receiver: WebhookReceiver;
  let admin: TestMember;
  let adminToken: string;
  let adminHook: { id: string; secret: string };

  beforeAll(async () => {
    // The thresholds' scale only (PROBING_MIN_INDICATORS 10,000 by default); quotas and share at their defaults.
    ctx = await TestContext.start({ ...POLICY, PROBING_MIN_INDICATORS: '200' });
    worker = await startWorker(POLICY);
    receiver = await WebhookReceiver.start();
    admin = await ctx.newAdmin({ name: 'Operator' });
    adminToken = await admin.token();
    adminHook = await ctx.newEndpoint(admin, { url: receiver.url('/admin'), eventTypes: ['alert.created'] });
  });
  afterAll(async () => {
    await receiver?.close();
    await worker?.close();
    await ctx?.close();
  });

  const activityOf = async (memberId: string): Promise<Activity | undefined> => {
    const res = await ctx.gql<{ memberActivity: Activity[] }>(ACTIVITY, {}, adminToken);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.memberActivity.find((m) => m.memberId === memberId);
  };

  it('throttles a member at submit time once it crosses the probing thresholds, audits it and tells the admins', async () => {
    const prober = await ctx.newMember({ name: 'Prober' });
    const token = await prober.token();
    await ctx.newEndpoint(prober, { url: receiver.url('/prober'), eventTypes: ['alert.created'] });
    const salt = randomUUID();
    for (let from = 0; from < 200; from += 50) expect((await submit(ctx, token, ranges(from, 50, salt))).errors).toBeUndefined();

    // Crossed: from now on the throttled quota (PROBING_THROTTLED_QUOTA_PER_HOUR) applies, with its own code.
    const refused = await submit(ctx, token, ranges(200, 150, salt));
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'PROBING_THROTTLED', limit: 100 });
    expect(refused.errors?.[0].message).toMatch(/throttled/i);
    expect((await submit(ctx, token, ranges(200, 100, salt))).errors).toBeUndefined();
    expect((await submit(ctx, token, ranges(300, 1, salt))).errors?.[0].extensions?.reason).toBe('PROBING_THROTTLED');
    expect(await ctx.db.indicator.count({ where: { member: { id: prober.id } } })).toBe(300);

    const [entry] = await ctx.db.auditEvent.findMany({ where: { action: 'member.probing_throttled', targetId: prober.id } });
    expect(entry).toMatchObject({ actorLabel: 'system', targetType: 'member' });
    expect(entry.details).toMatchObject({ windowIndicators: 200, windowNewIndicators: 200, throttledQuotaPerHour: 100 });

    await until(() => receiver.at('/admin').length === 1, 'admin notified');
    const event = new Webhook(adminHook.secret).verify(receiver.at('/admin')[0].body, receiver.at('/admin')[0].headers);
    expect(event).toMatchObject({
      type: 'member.probing_throttled',
      data: { memberId: prober.id, clientId: prober.clientId, name: 'Prober', throttledQuotaPerHour: 100 },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.at('/prober'), 'the member itself is not told through its webhooks').toHaveLength(0);

    const activity = await activityOf(prober.id);
    expect(activity).toMatchObject({ probing: true, throttled: true, throttleReason: expect.stringMatching(/new/) });
    expect(Date.parse(activity!.throttledSince!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('lets an admin lift the throttle (audited), restores the normal quota and does not re-trigger on the same window', async () => {
    const prober = await ctx.newMember();
    const token = await prober.token();
    const salt = randomUUID();
    expect((await submit(ctx, token, ranges(0, 200, salt))).errors).toBeUndefined();
    expect((await submit(ctx, token, ranges(200, 101, salt))).errors?.[0].extensions?.reason).toBe('PROBING_THROTTLED');

    const denied = await ctx.gql(LIFT, { id: prober.id, reason: 'my own throttle' }, token);
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const blank = await ctx.gql(LIFT, { id: prober.id, reason: '' }, adminToken);
    expect(blank.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(JSON.stringify(blank.errors?.[0])).toMatch(/reason/);

    const lifted = await ctx.gql<{ liftProbingThrottle: Record<string, unknown> }>(
      LIFT,
      { id: prober.id, reason: 'a new lab backfilling' },
      adminToken,
    );
    expect(lifted.errors).toBeUndefined();
    expect(lifted.data?.liftProbingThrottle).toMatchObject({ memberId: prober.id, throttled: false, liftedBy: admin.id });
    const [entry] = await ctx.db.auditEvent.findMany({ where: { action: 'member.probing_throttle_lifted', targetId: prober.id } });
    expect(entry).toMatchObject({ actorMemberId: admin.id, details: expect.objectContaining({ reason: 'a new lab backfilling' }) });
    const again = await ctx.gql(LIFT, { id: prober.id, reason: 'twice' }, adminToken);
    expect(again.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'NOT_PROBING_THROTTLED' });
    const nobody = await ctx.gql(LIFT, { id: randomUUID(), reason: 'nobody' }, adminToken);
    expect(nobody.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    // The normal quota again, more than the throttled 100, and the counts from before the lift do not throttle it at once.
    expect((await submit(ctx, token, ranges(200, 150, salt))).errors).toBeUndefined();
    expect((await submit(ctx, token, ranges(350, 40, salt))).errors).toBeUndefined();
    expect(await activityOf(prober.id)).toMatchObject({ throttled: false, throttledSince: null });
  });
});
