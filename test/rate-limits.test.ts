import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContext } from './support/context.js';

const tok = (label: string) => createHash('sha256').update(label).digest('hex');
const SUBMIT = 'mutation($input: SubmitIndicatorsInput!) { submitIndicators(input: $input) { submissionId accepted duplicates } }';
const batch = (labels: string[], key = randomUUID()) => ({
  input: { idempotencyKey: key, indicators: labels.map((l) => ({ type: 'ACCOUNT_SIGNAL', token: tok(l), keyEpoch: 'e1' })) },
});

describe('per-member budgets in Redis', () => {
  let api: TestContext;
  let second: TestContext;
  beforeAll(async () => {
    // Two API processes' worth of servers on one database and Redis prefix, as behind a load balancer.
    const env = { RATE_LIMIT_POINTS: '12', RATE_LIMIT_WINDOW_SECONDS: '60' };
    api = await TestContext.start(env);
    second = await TestContext.start({ ...env, PUBLIC_BASE_URL: api.url });
  });
  afterAll(async () => {
    await second?.close();
    await api?.close();
  });

  it('charges each operation its cost, reports the budget, and refuses past it on any API process', async () => {
    const member = await api.newMember();
    const token = await member.token();
    const call = (ctx: TestContext) =>
      fetch(`${ctx.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { id name } }' }), // cost 3
      });
    const first = await call(api);
    const body = (await first.json()) as { extensions: { cost: number; rateLimit: Record<string, unknown> } };
    expect(body.extensions.cost).toBe(3);
    expect(body.extensions.rateLimit).toMatchObject({ cost: 3, limit: 12, remaining: 9, resetAt: expect.any(String) });
    expect(first.headers.get('ratelimit-policy')).toBe('12;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^limit=12, remaining=9, reset=\d+$/);
    // Every GraphQL answer is private to its member: no cache may keep it.
    expect(first.headers.get('cache-control')).toBe('no-store');

    expect((await call(second)).status).toBe(200); // remaining 6, charged on the other process
    await call(api); // remaining 3
    await call(second); // remaining 0
    const refused = await call(api);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    const refusal = (await refused.json()) as { data: unknown; errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(refusal.data).toBeNull();
    expect(refusal.errors[0].extensions).toMatchObject({
      code: 'RATE_LIMITED',
      reason: 'REQUEST_BUDGET_EXCEEDED',
      limit: 12,
      remaining: 0,
    });
    expect(refusal.errors[0].message).toMatch(/costs 3 and 0 of 12 points remain/);
    // Another member's budget is its own.
    const other = await api.newMember();
    expect((await api.gql('{ me { id } }', {}, await other.token())).errors).toBeUndefined();
  });
});

describe('submission quotas and activity', () => {
  let api: TestContext;
  let second: TestContext;
  beforeAll(async () => {
    api = await TestContext.start({ PROBING_MIN_INDICATORS: '20' });
    second = await TestContext.start({ PROBING_MIN_INDICATORS: '20', PUBLIC_BASE_URL: api.url });
  });
  afterAll(async () => {
    await second?.close();
    await api?.close();
  });

  it('keeps a separate hourly submission quota that admins set per member; refused batches store and charge nothing', async () => {
    const admin = await api.newAdmin();
    const lab = await api.newMember();
    const adminToken = await admin.token();
    const set = await api.gql<{ setSubmissionQuota: { indicatorsPerHour: number } }>(
      'mutation($id: ID!) { setSubmissionQuota(memberId: $id, indicatorsPerHour: 5) { indicatorsPerHour } }',
      { id: lab.id },
      adminToken,
    );
    expect(set.data?.setSubmissionQuota.indicatorsPerHour).toBe(5);
    const labToken = await lab.token();
    const firstKey = randomUUID();
    expect((await second.gql(SUBMIT, batch(['q1', 'q2', 'q3'], firstKey), labToken)).errors).toBeUndefined();
    const over = await api.gql(SUBMIT, batch(['q4', 'q5', 'q6']), labToken);
    expect(over.errors?.[0].extensions).toMatchObject({
      code: 'RATE_LIMITED',
      reason: 'SUBMISSION_QUOTA_EXCEEDED',
      limit: 5,
      remaining: 2,
    });
    expect(await api.db.indicator.count({ where: { member: { id: lab.id } } })).toBe(3);
    // A retry of an accepted batch is not charged again; an invalid batch is not charged at all.
    expect((await api.gql(SUBMIT, batch(['q1', 'q2', 'q3'], firstKey), labToken)).errors).toBeUndefined();
    const invalid = batch(['q7', 'q8']);
    (invalid.input.indicators[1] as { keyEpoch: string }).keyEpoch = 'BAD EPOCH';
    expect((await api.gql(SUBMIT, invalid, labToken)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await api.gql(SUBMIT, batch(['q9', 'q10']), labToken)).errors).toBeUndefined();
    // Members cannot set quotas.
    const forbidden = await api.gql(
      'mutation($id: ID!) { setSubmissionQuota(memberId: $id, indicatorsPerHour: 1000) { id } }',
      { id: lab.id },
      labToken,
    );
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('shows admins per-member volumes and alert rates, and flags a probing pattern', async () => {
    const admin = await api.newAdmin();
    const prober = await api.newMember({ name: 'Prober' });
    const steady = await api.newMember({ name: 'Steady' });
    const proberToken = await prober.token();
    const steadyToken = await steady.token();
    await api.gql(SUBMIT, batch(Array.from({ length: 25 }, (_, i) => `guess-${i}`)), proberToken);
    const again = Array.from({ length: 12 }, (_, i) => `known-${i}`);
    await api.gql(SUBMIT, batch(again), steadyToken);
    await api.gql(SUBMIT, batch(again), steadyToken);
    const res = await api.gql<{ memberActivity: { name: string; indicators: number; newShare: number; probing: boolean }[] }>(
      '{ memberActivity(windowHours: 1) { name indicators newIndicators newShare alertsCreated alertsPerThousand probing } }',
      {},
      await admin.token(),
    );
    const byName = Object.fromEntries(res.data!.memberActivity.map((m) => [m.name, m]));
    expect(byName.Prober).toMatchObject({ indicators: 25, newShare: 1, probing: true });
    expect(byName.Steady).toMatchObject({ indicators: 24, newShare: 0.5, probing: false });
    const denied = await api.gql('{ memberActivity { name } }', {}, proberToken);
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('the submission budget, priced per item', () => {
  let api: TestContext;
  beforeAll(async () => {
    api = await TestContext.start({
      MAX_INDICATORS_PER_SUBMISSION: '10',
      SUBMISSION_COST_PER_ITEM: '2',
      SUBMISSION_BUDGET_POINTS: '30',
      SUBMISSION_BUDGET_WINDOW_SECONDS: '60',
    });
  });
  afterAll(async () => api?.close());

  it('charges stored items only, refuses past the budget with retryAfterSeconds and Retry-After, and prices retractions too', async () => {
    const member = await api.newMember();
    const token = await member.token();
    const post = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return {
        retryAfter: res.headers.get('retry-after'),
        ...((await res.json()) as { data?: Record<string, unknown>; errors?: { message: string; extensions: Record<string, unknown> }[] }),
      };
    };
    const stored = batch(['b1', 'b2', 'b3', 'b4', 'b5', 'b6']);
    expect((await post(SUBMIT, stored)).errors).toBeUndefined(); // 12 of 30 points
    expect((await post(SUBMIT, stored)).errors).toBeUndefined(); // a replay: charged while it runs, then given back
    const invalid = await post(SUBMIT, {
      input: { idempotencyKey: randomUUID(), indicators: [{ type: 'ACCOUNT_SIGNAL', token: 'zz', keyEpoch: 'e1' }] },
    });
    expect(invalid.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT'); // refused: given back

    const over = await post(SUBMIT, batch(['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10']));
    expect(over.data ?? null).toBeNull();
    expect(over.errors![0].extensions).toMatchObject({
      code: 'RATE_LIMITED',
      reason: 'SUBMISSION_BUDGET_EXCEEDED',
      cost: 20,
      limit: 30,
      remaining: 18,
    });
    const wait = over.errors![0].extensions.retryAfterSeconds as number;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(over.retryAfter).toBe(String(wait));

    expect((await post(SUBMIT, batch(['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd9']))).errors).toBeUndefined(); // 30 of 30
    const retract = 'mutation($input: RetractIndicatorsInput!) { retractIndicators(input: $input) { retracted } }';
    const refused = await post(retract, { input: { type: 'ACCOUNT_SIGNAL', keyEpoch: 'e1', tokens: [tok('b1')] } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'SUBMISSION_BUDGET_EXCEEDED', cost: 2 });
    // The query budget is apart: the member can still read.
    expect((await post('{ me { id } }', {})).errors).toBeUndefined();
  });
});
