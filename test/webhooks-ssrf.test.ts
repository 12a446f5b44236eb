import type { INestApplication } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContext, type TestMember } from './support/context.js';
import { until } from './support/wait.js';
import { startWorker, WebhookReceiver } from './support/webhooks.js';

/** Destinations a webhook must never reach by default: one per kind of internal address. */
const INTERNAL = [
  ['loopback', 'https://127.0.0.1/hook', 'loopback'],
  ['IPv6 loopback', 'https://[::1]/hook', 'loopback'],
  ['private', 'https://10.0.0.1/hook', 'private'],
  ['cloud metadata (link-local)', 'https://169.254.169.254/latest/meta-data/', 'link-local'],
  ['carrier-grade NAT', 'https://100.64.0.1/hook', 'carrier-grade NAT'],
  ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/hook', 'loopback'],
  ['IPv4-compatible IPv6 loopback (::/96)', 'https://[::127.0.0.1]/hook', 'loopback'],
  ['IPv4-translated IPv6 loopback', 'https://[::ffff:0:127.0.0.1]/hook', 'loopback'],
  ['NAT64 of loopback', 'https://[64:ff9b::127.0.0.1]/hook', 'loopback'],
  ['6to4 of a private address', 'https://[2002:a00:1::]/hook', 'private'],
  ['a name that resolves to loopback', 'https://localhost:8443/hook', 'loopback'],
] as const;

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id url } } }`;

describe('webhook destinations (SSRF)', () => {
  describe('with the default policy', () => {
    let ctx: TestContext;
    let member: TestMember;
    let token: string;
    beforeAll(async () => {
      ctx = await TestContext.start();
      member = await ctx.newMember();
      token = await member.token();
    });
    afterAll(async () => ctx?.close());

    it.each(INTERNAL)('refuses %s (%s)', async (_kind, url, words) => {
      const res = await ctx.gql(CREATE, { input: { url, eventTypes: ['alert.created'] } }, token);
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      const [problem] = (res.errors?.[0].extensions?.problems ?? []) as { field: string; message: string }[];
      expect(problem.field).toBe('input.url');
      expect(problem.message).toContain(words);
      expect(problem.message).toContain('a test setup may allow a range with WEBHOOK_ALLOWED_CIDRS');
      expect(await ctx.db.webhookEndpoint.count({ where: { memberId: member.id } })).toBe(0);
    });

    it('refuses plain http unless the operator allows it', async () => {
      const res = await ctx.gql(CREATE, { input: { url: 'http://example.com/hook', eventTypes: ['alert.created'] } }, token);
      expect(JSON.stringify(res.errors)).toContain('must use https (a test setup may allow http with WEBHOOK_ALLOW_HTTP=true)');
    });
  });

  describe('URL text', () => {
    let ctx: TestContext;
    let token: string;
    beforeAll(async () => {
      ctx = await TestContext.start({ WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' });
      token = await (await ctx.newMember()).token();
    });
    afterAll(async () => ctx?.close());

    it.each(['https://user:pass@127.0.0.1/hook', 'https://@127.0.0.1/hook', 'https://:@127.0.0.1/hook', 'https:\\\\x@127.0.0.1/hook'])(
      'refuses userinfo in %s, naming the field and the rule',
      async (url) => {
        const res = await ctx.gql(CREATE, { input: { url, eventTypes: ['alert.created'] } }, token);
        expect(res.errors?.[0].extensions).toMatchObject({
          code: 'BAD_USER_INPUT',
          problems: [{ field: 'input.url', rule: 'noCredentials' }],
        });
        expect(await ctx.db.webhookEndpoint.count()).toBe(0);
      },
    );

    it('stores the normalized URL, on create and on update', async () => {
      const res = await ctx.gql<{ createWebhookEndpoint: { endpoint: { id: string; url: string } } }>(
        CREATE,
        { input: { url: 'HTTPS://127.0.0.1:443/a/../hook?x=a b', eventTypes: ['alert.created'] } },
        token,
      );
      expect(res.errors).toBeUndefined();
      const { id, url } = res.data!.createWebhookEndpoint.endpoint;
      expect(url).toBe('https://127.0.0.1/hook?x=a%20b');
      expect((await ctx.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).url).toBe('https://127.0.0.1/hook?x=a%20b');
      const updated = await ctx.gql(
        `mutation($id: ID!, $url: String!) { updateWebhookEndpoint(id: $id, input: { url: $url }) { url } }`,
        { id, url: 'https://0x7f.0.0.1/b/./c' },
        token,
      );
      expect(updated.errors).toBeUndefined();
      expect((await ctx.db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).url).toBe('https://127.0.0.1/b/c');
    });
  });

  describe('with an operator allowlist', () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await TestContext.start({ WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8, ::1, 10.0.0.0/8, 169.254.169.254/32, 100.64.0.0/10' });
    });
    afterAll(async () => ctx?.close());

    it('accepts exactly the allowlisted ranges', async () => {
      const token = await (await ctx.newMember()).token();
      for (const [kind, url] of INTERNAL) {
        const res = await ctx.gql(CREATE, { input: { url, eventTypes: ['alert.created'] } }, token);
        expect(res.errors, kind).toBeUndefined();
      }
      const outside = await ctx.gql(CREATE, { input: { url: 'https://192.168.1.10/hook', eventTypes: ['alert.created'] } }, token);
      expect(JSON.stringify(outside.errors)).toContain('private');
    });
  });

  describe('at connection time', () => {
    let api: TestContext;
    let worker: INestApplication;
    let receiver: WebhookReceiver;
    beforeAll(async () => {
      // The URL was accepted when saved (allowlisted then); the worker's policy no longer allows loopback.
      api = await TestContext.start({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32,::1/128' });
      worker = await startWorker({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_RETRY_SCHEDULE: '0,100ms' });
      receiver = await WebhookReceiver.start();
    });
    afterAll(async () => {
      await receiver?.close();
      await worker?.close();
      await api?.close();
    });

    it('checks the address again when connecting, so a URL that passed when saved cannot reach an internal address later', async () => {
      const member = await api.newMember();
      for (const url of [receiver.url('/by-ip'), `http://localhost:${receiver.port}/by-name`]) {
        const endpoint = await api.newEndpoint(member, { url });
        await api.gql(`mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }`, { id: endpoint.id }, endpoint.token);
        await until(
          async () => (await api.db.webhookDelivery.count({ where: { endpointId: endpoint.id, status: 'FAILED' } })) === 1,
          'delivery failed',
        );
        const attempts = await api.db.webhookDeliveryAttempt.findMany({ where: { delivery: { endpointId: endpoint.id } } });
        expect(attempts).toHaveLength(2);
        for (const attempt of attempts) {
          expect(attempt.statusCode).toBeNull();
          expect(attempt.error).toMatch(/^refused: .*loopback/);
        }
      }
      expect(receiver.requests).toHaveLength(0);
    });
  });

  describe('an endpoint failing continuously', () => {
    let api: TestContext;
    let worker: INestApplication;
    let receiver: WebhookReceiver;
    const policy = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };
    beforeAll(async () => {
      api = await TestContext.start(policy);
      worker = await startWorker({ ...policy, WEBHOOK_DISABLE_AFTER_SECONDS: '1', WEBHOOK_RETRY_SCHEDULE: '0,600ms,600ms,600ms,600ms' });
      receiver = await WebhookReceiver.start();
    });
    afterAll(async () => {
      await receiver?.close();
      await worker?.close();
      await api?.close();
    });

    it('is disabled once it has failed for longer than WEBHOOK_DISABLE_AFTER_SECONDS; its member hears of it and it is audited', async () => {
      const member = await api.newMember();
      const failing = await api.newEndpoint(member, { url: receiver.url('/down') });
      const healthy = await api.newEndpoint(member, { url: receiver.url('/up'), eventTypes: ['alert.closed'] });
      receiver.fallback = { status: 500 };
      await api.gql(`mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }`, { id: failing.id }, failing.token);
      await until(
        async () => (await api.db.webhookEndpoint.findUniqueOrThrow({ where: { id: failing.id } })).status === 'DISABLED',
        'disabled',
      );

      const row = await api.db.webhookEndpoint.findUniqueOrThrow({ where: { id: failing.id } });
      expect(row.disabledReason).toMatch(/^failing continuously since/);
      // 0 ms, ~600 ms, ~1200 ms: the third failure is the first more than a second after the first one.
      const down = receiver.at('/down');
      expect(down.length).toBeGreaterThanOrEqual(2);
      expect(down.length).toBeLessThan(5);
      expect(await api.db.webhookDelivery.findFirstOrThrow({ where: { endpointId: failing.id } })).toMatchObject({ status: 'FAILED' });

      receiver.fallback = { status: 204 };
      await until(() => receiver.at('/up').length === 1, 'endpoint_disabled delivered to the other endpoint');
      const notice = new Webhook(healthy.secret).verify(receiver.at('/up')[0].body, receiver.at('/up')[0].headers);
      expect(notice).toMatchObject({ type: 'webhook.endpoint_disabled', data: { id: failing.id, status: 'DISABLED' } });
      const audit = await api.prisma.auditEvent.findFirstOrThrow({ where: { action: 'webhook_endpoint.disabled', targetId: failing.id } });
      expect(audit).toMatchObject({ actorLabel: 'system' });

      // Enabling it again clears the failure state.
      const enabled = await api.gql<{ updateWebhookEndpoint: { status: string; failingSince: string | null } }>(
        `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: true }) { status failingSince disabledAt } }`,
        { id: failing.id },
        failing.token,
      );
      expect(enabled.data!.updateWebhookEndpoint).toMatchObject({ status: 'ENABLED', failingSince: null });
    });
  });
});
