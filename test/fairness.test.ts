import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContext } from './support/context.js';
import { newWebhookEndpoint, startWorker, WebhookReceiver } from './support/webhooks.js';

const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32', WEBHOOK_TEST_PER_WINDOW: '1000' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.99) - 1)];

/** One member's receivers that never answer cannot take the delivery capacity another member needs. */
describe('fair sharing of webhook delivery capacity', () => {
  let ctx: TestContext;
  let worker: INestApplication;
  let hang: WebhookReceiver;
  let fast: WebhookReceiver;

  beforeAll(async () => {
    ctx = await TestContext.start(POLICY);
    worker = await startWorker({ ...POLICY, WEBHOOK_CONCURRENCY: '8', WEBHOOK_MEMBER_CONCURRENCY: '4', WEBHOOK_TIMEOUT_MS: '20000' });
    hang = await WebhookReceiver.start();
    hang.fallback = 'hang';
    fast = await WebhookReceiver.start();
  });
  afterAll(async () => {
    hang?.release(204);
    await hang?.close();
    await fast?.close();
    await worker?.close();
    await ctx?.close();
  });

  it("keeps another member's delivery p99 within about twice its unloaded figure", async () => {
    const quiet = await ctx.newMember();
    const target = await newWebhookEndpoint(ctx, quiet, { url: fast.url('/quiet') });
    const deliverOnce = async (): Promise<number> => {
      const before = fast.requests.length;
      const started = Date.now();
      const sent = await ctx.gql('mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }', { id: target.id }, target.token);
      expect(sent.errors).toBeUndefined();
      while (fast.requests.length === before) {
        if (Date.now() - started > 20_000) throw new Error('delivery never arrived');
        await sleep(2);
      }
      return Date.now() - started;
    };
    const unloaded: number[] = [];
    for (let i = 0; i < 20; i++) unloaded.push(await deliverOnce());

    const flooder = await ctx.newMember();
    const endpoints = [];
    for (let i = 0; i < 4; i++) endpoints.push(await newWebhookEndpoint(ctx, flooder, { url: hang.url(`/flood${i}`) }));
    for (let i = 0; i < 60; i++) {
      const e = endpoints[i % endpoints.length];
      const sent = await ctx.gql('mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }', { id: e.id }, e.token);
      expect(sent.errors).toBeUndefined();
    }
    const floodStart = Date.now();
    while (hang.requests.length < 4 && Date.now() - floodStart < 10_000) await sleep(10);
    const loaded: number[] = [];
    for (let i = 0; i < 20; i++) loaded.push(await deliverOnce());

    console.log(`quiet member delivery p99: unloaded ${p99(unloaded)} ms, with a flooding member ${p99(loaded)} ms; flooder in flight ${hang.requests.length}`);
    // The flooder holds its member share only (WEBHOOK_MEMBER_CONCURRENCY), never the whole worker.
    expect(hang.requests.length).toBeLessThanOrEqual(4);
    expect(p99(loaded)).toBeLessThanOrEqual(Math.max(2 * p99(unloaded), p99(unloaded) + 250));
  }, 60_000);
});
