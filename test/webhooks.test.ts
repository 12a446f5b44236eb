import { createPublicKey, verify } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_FIELDS, TestContext, type TestMember, testToken } from './support/context.js';
import { newKeyPair } from './support/oauth.js';
import { until } from './support/wait.js';
import { startWorker, WebhookReceiver } from './support/webhooks.js';

/**
 * Webhook delivery end to end: GraphQL on the real API, correlation and
 * delivery on an in-process worker, a real receiver on loopback (allowed
 * through the operator allowlist, as a private deployment would).
 */
const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };
/** Four attempts, 150 ms apart (jittered), so failures finish in well under a second. */
const SCHEDULE = '0,150ms,150ms,150ms';

const ALERT_FIELDS = `id status version type keyEpoch token externalRef otherHolderCount firstSeenAt lastSeenAt disclosedHolders
  verdictCounts { confirmedAbuse falsePositive underReview } verdict verdictNote acknowledgedAt createdAt updatedAt closedAt
  closeReason lastObservedOn priority matchKind similarity`;
const DELIVERY_FIELDS = `id eventId eventType status attemptCount body nextAttemptAt completedAt
  attempts { attemptedAt statusCode latencyMs responseBody error }`;

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attemptCount: number;
  body: string;
  attempts: { statusCode: number | null; responseBody: string | null; error: string | null }[];
}

describe('webhook delivery', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    ctx = await TestContext.start(POLICY);
    worker = await startWorker({ ...POLICY, WEBHOOK_RETRY_SCHEDULE: SCHEDULE });
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
    await worker?.close();
    await ctx?.close();
  });

  const deliveries = async (token: string, endpointId: string, status?: string): Promise<Delivery[]> => {
    const res = await ctx.gql<{ webhookDeliveries: { edges: { node: Delivery }[] } }>(
      `query($id: ID!, $status: WebhookDeliveryStatus) {
         webhookDeliveries(endpointId: $id, first: 50, filter: { status: $status }) { edges { node { ${DELIVERY_FIELDS} } } }
       }`,
      { id: endpointId, status },
      token,
    );
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.webhookDeliveries.edges.map((e) => e.node);
  };
  const finished = async (token: string, endpointId: string, status: 'SUCCEEDED' | 'FAILED') => {
    let found: Delivery | undefined;
    await until(async () => {
      found = (await deliveries(token, endpointId)).find((d) => d.status === status);
      return found !== undefined;
    }, `a ${status} delivery`);
    return found!;
  };
  const sendTest = async (token: string, endpointId: string) => {
    const res = await ctx.gql<{ sendTestWebhook: Delivery }>(
      `mutation($id: ID!) { sendTestWebhook(endpointId: $id) { ${DELIVERY_FIELDS} } }`,
      { id: endpointId },
      token,
    );
    return res;
  };

  it('delivers a signed alert.created whose data is the alert as its member sees it in GraphQL, to that member only', async () => {
    const [a, b, c] = [await ctx.newMember(), await ctx.newMember(), await ctx.newMember()];
    const endpointA = await ctx.newEndpoint(a, { url: receiver.url('/signed-a') });
    await ctx.newEndpoint(c, { url: receiver.url('/signed-c') });
    await ctx.shareToken([a, b], testToken('signed'));

    await until(() => receiver.at('/signed-a').length > 0, 'alert delivered to A');
    const [request] = receiver.at('/signed-a');
    const event = JSON.parse(request.body) as { type: string; timestamp: string; data: Record<string, unknown> };
    expect(Object.keys(event).sort()).toEqual(['data', 'timestamp', 'type']);
    expect(event.type).toBe('alert.created');
    expect(new Date(event.timestamp).toISOString()).toBe(event.timestamp);
    // B's submission made the alert: A learns when only to the hour (docs/indicators-and-alerts.md).
    for (const time of [event.timestamp, event.data.firstSeenAt, event.data.lastSeenAt, event.data.createdAt, event.data.updatedAt]) {
      expect(time).toMatch(/T\d\d:00:00\.000Z$/);
    }

    const alert = await ctx.gql<{ alert: Record<string, unknown> }>(
      `query($id: ID!) { alert(id: $id) { ${ALERT_FIELDS} } }`,
      { id: event.data.id },
      endpointA.token,
    );
    expect(event.data).toEqual(alert.data!.alert);
    const own = await ctx.db.alert.findUniqueOrThrow({ where: { id: String(event.data.id) } });
    expect(own.memberId).toBe(a.id);

    // The exact bytes received verify; any change to body, id or timestamp does not.
    const hook = new Webhook(endpointA.secret);
    expect(hook.verify(request.body, request.headers)).toEqual(event);
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(() => hook.verify(request.body.replace('alert.created', 'alert.closed'), request.headers)).toThrow();
    expect(() => hook.verify(request.body, { ...request.headers, 'webhook-id': `${request.headers['webhook-id']}x` })).toThrow();
    const ts = Number(request.headers['webhook-timestamp']);
    expect(() => hook.verify(request.body, { ...request.headers, 'webhook-timestamp': String(ts + 1) })).toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(request.body, request.headers)).toThrow();

    // C holds nothing; B has no endpoint: nobody else got anything.
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.at('/signed-c')).toHaveLength(0);
    expect(receiver.at('/signed-a')).toHaveLength(1);
  });

  it('signs with both the old and the new secret during a rotation, then with the new one only', async () => {
    const m = await ctx.newMember();
    const endpoint = await ctx.newEndpoint(m, { url: receiver.url('/rotate') });
    const rotated = await ctx.gql<{ rotateWebhookSecret: { secret: string; endpoint: { previousSecretExpiresAt: string } } }>(
      `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { previousSecretExpiresAt } } }`,
      { id: endpoint.id },
      endpoint.token,
    );
    const fresh = rotated.data!.rotateWebhookSecret.secret;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.data!.rotateWebhookSecret.endpoint.previousSecretExpiresAt)).toBeGreaterThan(Date.now());

    expect((await sendTest(endpoint.token, endpoint.id)).errors).toBeUndefined();
    await until(() => receiver.at('/rotate').length === 1, 'test event delivered');
    const [during] = receiver.at('/rotate');
    expect(during.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(endpoint.secret).verify(during.body, during.headers)).toMatchObject({ type: 'webhook.test' });
    expect(new Webhook(fresh).verify(during.body, during.headers)).toMatchObject({ type: 'webhook.test' });

    await ctx.db.webhookEndpoint.update({ where: { id: endpoint.id }, data: { previousSecretExpiresAt: new Date(Date.now() - 1000) } });
    await sendTest(endpoint.token, endpoint.id);
    await until(() => receiver.at('/rotate').length === 2, 'second test event delivered');
    const after = receiver.at('/rotate')[1];
    expect(after.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(() => new Webhook(endpoint.secret).verify(after.body, after.headers)).toThrow();
    expect(new Webhook(fresh).verify(after.body, after.headers)).toMatchObject({ type: 'webhook.test' });
  });

  it('retries 500, 500, then 200: exactly one success, the same webhook-id on every attempt', async () => {
    const r = await WebhookReceiver.start();
    try {
      const m = await ctx.newMember();
      const endpoint = await ctx.newEndpoint(m, { url: r.url('/flaky') });
      r.reply({ status: 500, body: 'oops' }, { status: 500 });
      await sendTest(endpoint.token, endpoint.id);
      const done = await finished(endpoint.token, endpoint.id, 'SUCCEEDED');
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(r.requests).toHaveLength(3);
      expect(new Set(r.requests.map((q) => q.headers['webhook-id']))).toEqual(new Set([done.eventId]));
      expect(new Set(r.requests.map((q) => q.body)).size).toBe(1);
      expect(done.attemptCount).toBe(3);
      expect(done.attempts.map((a) => a.statusCode)).toEqual([204, 500, 500]);
      expect(done.attempts[2].responseBody).toBe('oops');
    } finally {
      await r.close();
    }
  });

  it('disables an endpoint that answers 410 Gone, audits it, and tells the member’s other endpoints', async () => {
    const r = await WebhookReceiver.start();
    try {
      const m = await ctx.newMember();
      const gone = await ctx.newEndpoint(m, { url: r.url('/gone') });
      const other = await ctx.newEndpoint(m, { url: r.url('/other'), eventTypes: ['alert.created'] });
      r.reply({ status: 410 });
      await sendTest(gone.token, gone.id);
      const failed = await finished(gone.token, gone.id, 'FAILED');
      expect(failed.attemptCount).toBe(1);
      expect(r.at('/gone')).toHaveLength(1);

      const list = await ctx.gql<{ webhookEndpoints: { id: string; status: string; disabledReason: string }[] }>(
        `{ webhookEndpoints { ${ENDPOINT_FIELDS} } }`,
        {},
        gone.token,
      );
      expect(list.data!.webhookEndpoints.find((e) => e.id === gone.id)).toMatchObject({
        status: 'DISABLED',
        disabledReason: expect.stringContaining('410'),
      });
      await until(() => r.at('/other').length === 1, 'endpoint_disabled event on the other endpoint');
      const notice = new Webhook(other.secret).verify(r.at('/other')[0].body, r.at('/other')[0].headers) as {
        type: string;
        data: { id: string; status: string };
      };
      expect(notice).toMatchObject({ type: 'webhook.endpoint_disabled', data: { id: gone.id, status: 'DISABLED' } });
      const audit = await ctx.prisma.auditEvent.findMany({ where: { action: 'webhook_endpoint.disabled', targetId: gone.id } });
      expect(audit).toHaveLength(1);

      expect((await sendTest(gone.token, gone.id)).errors?.[0].extensions).toMatchObject({
        code: 'CONFLICT',
        reason: 'WEBHOOK_ENDPOINT_DISABLED',
      });
    } finally {
      await r.close();
    }
  });

  it('treats 3xx as a failure and never follows the redirect', async () => {
    const r = await WebhookReceiver.start();
    try {
      const m = await ctx.newMember();
      const endpoint = await ctx.newEndpoint(m, { url: r.url('/moved') });
      r.fallback = { status: 302, headers: { location: r.url('/target') } };
      await sendTest(endpoint.token, endpoint.id);
      const failed = await finished(endpoint.token, endpoint.id, 'FAILED');
      expect(failed.attemptCount).toBe(4);
      expect(failed.attempts.every((a) => a.statusCode === 302)).toBe(true);
      expect(r.at('/moved')).toHaveLength(4);
      expect(r.at('/target')).toHaveLength(0);
    } finally {
      await r.close();
    }
  });

  it('waits as long as Retry-After says on 429 and 503', async () => {
    const r = await WebhookReceiver.start();
    try {
      const m = await ctx.newMember();
      const endpoint = await ctx.newEndpoint(m, { url: r.url('/busy') });
      r.reply({ status: 429, headers: { 'retry-after': '2' } }, { status: 503, headers: { 'retry-after': '1' } });
      await sendTest(endpoint.token, endpoint.id);
      await finished(endpoint.token, endpoint.id, 'SUCCEEDED');
      const [first, second, third] = r.requests.map((q) => q.at);
      expect(r.requests).toHaveLength(3);
      expect(second - first).toBeGreaterThanOrEqual(1_900);
      expect(third - second).toBeGreaterThanOrEqual(900);
    } finally {
      await r.close();
    }
  });

  it('redelivers a failed delivery by hand, with the same body and webhook-id', async () => {
    const r = await WebhookReceiver.start();
    try {
      const m = await ctx.newMember();
      const endpoint = await ctx.newEndpoint(m, { url: r.url('/later') });
      r.fallback = { status: 500 };
      await sendTest(endpoint.token, endpoint.id);
      const failed = await finished(endpoint.token, endpoint.id, 'FAILED');
      expect(r.requests).toHaveLength(4);

      r.fallback = { status: 200 };
      const again = await ctx.gql<{ redeliverWebhook: Delivery }>(
        `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { ${DELIVERY_FIELDS} } }`,
        { id: failed.id },
        endpoint.token,
      );
      expect(again.data!.redeliverWebhook).toMatchObject({ status: 'PENDING', attemptCount: 0, eventId: failed.eventId });
      const pendingAgain = await ctx.gql(
        `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`,
        { id: failed.id },
        endpoint.token,
      );
      expect(pendingAgain.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT' });

      const done = await finished(endpoint.token, endpoint.id, 'SUCCEEDED');
      expect(done).toMatchObject({ id: failed.id, attemptCount: 1 });
      expect(r.requests).toHaveLength(5);
      expect(new Set(r.requests.map((q) => q.headers['webhook-id'])).size).toBe(1);
      expect(new Set(r.requests.map((q) => q.body)).size).toBe(1);
    } finally {
      await r.close();
    }
  });

  it('sends member.key_revoked to the member whose key was revoked, and to no one else', async () => {
    const [m, other] = [await ctx.newMember(), await ctx.newMember()];
    const mine = await ctx.newEndpoint(m, { url: receiver.url('/keys-mine'), eventTypes: ['member.key_revoked'] });
    await ctx.newEndpoint(other, { url: receiver.url('/keys-other'), eventTypes: ['member.key_revoked'] });
    const spare = await newKeyPair();
    await ctx.prisma.memberKey.create({
      data: { memberId: m.id, kid: spare.kid, alg: spare.alg, publicJwk: { ...spare.publicJwk, kid: spare.kid } },
    });
    const revoked = await ctx.gql(`mutation($kid: String!) { revokeMemberKey(kid: $kid) { kid status } }`, { kid: spare.kid }, mine.token);
    expect(revoked.errors).toBeUndefined();

    await until(() => receiver.at('/keys-mine').length === 1, 'key_revoked delivered');
    const event = new Webhook(mine.secret).verify(receiver.at('/keys-mine')[0].body, receiver.at('/keys-mine')[0].headers);
    expect(event).toMatchObject({ type: 'member.key_revoked', data: { kid: spare.kid, status: 'REVOKED' } });
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.at('/keys-other')).toHaveLength(0);
  });

  it('adds an Ed25519 (v1a) signature that verifies with the published key, for endpoints that ask', async () => {
    const m = await ctx.newMember();
    const endpoint = await ctx.newEndpoint(m, { url: receiver.url('/ed25519'), asymmetricSignature: true });
    await sendTest(endpoint.token, endpoint.id);
    await until(() => receiver.at('/ed25519').length === 1, 'test event delivered');
    const [request] = receiver.at('/ed25519');
    const signatures = request.headers['webhook-signature'].split(' ');
    const v1a = signatures.find((s) => s.startsWith('v1a,'));
    expect(v1a).toBeDefined();
    expect(new Webhook(endpoint.secret).verify(request.body, request.headers)).toMatchObject({ type: 'webhook.test' });

    const keys = await ctx.gql<{ webhookSigningKeys: { publicKey: string }[] }>(
      '{ webhookSigningKeys { kid publicKey createdAt } }',
      {},
      endpoint.token,
    );
    const raw = Buffer.from(keys.data!.webhookSigningKeys[0].publicKey.replace(/^whpk_/, ''), 'base64');
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    const signed = Buffer.from(`${request.headers['webhook-id']}.${request.headers['webhook-timestamp']}.${request.body}`);
    expect(verify(null, signed, publicKey, Buffer.from(v1a!.slice(4), 'base64'))).toBe(true);
    expect(verify(null, Buffer.from(`${signed}x`), publicKey, Buffer.from(v1a!.slice(4), 'base64'))).toBe(false);
  });

  it('keeps endpoints and deliveries private to their member and never shows a secret again', async () => {
    const [owner, stranger] = [await ctx.newMember(), await ctx.newMember()];
    const endpoint = await ctx.newEndpoint(owner, { url: receiver.url('/private') });
    const strangerToken = await stranger.token();
    const probes = [
      ctx.gql(`query($id: ID!) { webhookDeliveries(endpointId: $id) { edges { cursor } } }`, { id: endpoint.id }, strangerToken),
      ctx.gql(
        `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: false }) { id } }`,
        { id: endpoint.id },
        strangerToken,
      ),
      ctx.gql(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: endpoint.id }, strangerToken),
      ctx.gql(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id }, strangerToken),
      ctx.gql(`mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }`, { id: endpoint.id }, strangerToken),
    ];
    for (const res of await Promise.all(probes)) expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const theirs = await ctx.gql<{ webhookEndpoints: unknown[] }>(`{ webhookEndpoints { id } }`, {}, strangerToken);
    expect(theirs.data!.webhookEndpoints).toEqual([]);

    const stored = await ctx.db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect(Buffer.from(stored.secretEncrypted).toString('latin1')).not.toContain(endpoint.secret.slice(6, 20));
    const schema = await ctx.gql<{ __type: { fields: { name: string }[] } }>(`{ __type(name: "WebhookEndpoint") { fields { name } } }`);
    expect(schema.data!.__type.fields.map((f) => f.name).filter((n) => /secret/i.test(n))).toEqual(['previousSecretExpiresAt']);
  });

  it('validates input: event types, URL form and the https rule are checked before anything is stored', async () => {
    const m = await ctx.newMember();
    const token = await m.token();
    const create = (input: Record<string, unknown>) =>
      ctx.gql(`mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`, { input }, token);
    const badType = await create({ url: receiver.url(), eventTypes: ['alert.deleted'] });
    expect(badType.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(JSON.stringify(badType.errors)).toContain('input.eventTypes');
    const credentials = await create({ url: 'https://user:pw@example.com/hook', eventTypes: ['alert.created'] });
    expect(JSON.stringify(credentials.errors)).toContain('must not contain credentials');
    const ftp = await create({ url: 'ftp://example.com/hook', eventTypes: ['alert.created'] });
    expect(JSON.stringify(ftp.errors)).toContain('input.url');
    expect(await ctx.db.webhookEndpoint.count({ where: { memberId: m.id } })).toBe(0);
  });
});
