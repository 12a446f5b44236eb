import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplication } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { QueueName } from '@app/queue';
import { EndpointSlots } from '../libs/federation/webhooks/src/delivery/endpoint-slots.js';
import { TestContext } from './support/context.js';
import { until } from './support/wait.js';
import { startWorker, WebhookReceiver } from './support/webhooks.js';

const POLICY = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * WEBHOOK_ENDPOINT_CONCURRENCY across worker processes (two in-process
 * workers sharing this file's Redis), and what a delivery that finds its
 * endpoint busy does: it waits without spending an attempt, and the delivery
 * that frees a slot wakes it at once.
 */
describe('per-endpoint concurrency', () => {
  let ctx: TestContext;
  let workers: INestApplication[] = [];
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    ctx = await TestContext.start(POLICY);
    const env = { ...POLICY, WEBHOOK_ENDPOINT_CONCURRENCY: '2' };
    workers = [await startWorker(env), await startWorker(env)];
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
    for (const worker of workers) await worker.close();
    await ctx?.close();
  });

  it('holds an endpoint to its limit across workers, and hands each freed slot straight to a waiting delivery', async () => {
    const member = await ctx.newMember();
    const endpoint = await ctx.newEndpoint(member, { url: receiver.url('/slow') });
    receiver.fallback = 'hang';
    for (let i = 0; i < 6; i++) {
      const sent = await ctx.gql('mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }', { id: endpoint.id }, endpoint.token);
      expect(sent.errors).toBeUndefined();
    }
    await until(() => receiver.requests.length >= 2, 'two deliveries in flight');
    // Both workers have idle delivery slots, yet the endpoint gets no third request while two hang: the other
    // four wait out of the workers, in `delayed`, until a release wakes them.
    const queue = workers[0].get<Queue>(getQueueToken(QueueName.Webhooks));
    await until(async () => (await queue.getDelayedCount()) >= 4, 'four deliveries waiting for a slot');
    expect(receiver.requests).toHaveLength(2);

    receiver.fallback = { status: 204 };
    const released = Date.now();
    receiver.release(204);
    await until(() => receiver.requests.length === 6, 'the four waiting deliveries');
    // Woken by the releases: a waiter left alone looks again only after about as long as it had waited (seconds here).
    expect(Date.now() - released).toBeLessThan(1_000);

    await until(
      async () => (await ctx.db.webhookDelivery.count({ where: { endpointId: endpoint.id, status: 'SUCCEEDED' } })) === 6,
      'six deliveries done',
    );
    const deliveries = await ctx.db.webhookDelivery.findMany({ where: { endpointId: endpoint.id } });
    // Waiting for a slot spent no attempt: one attempt each, the one that succeeded.
    expect(deliveries.map((d) => d.attemptCount)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(await ctx.db.webhookDeliveryAttempt.count({ where: { delivery: { endpointId: endpoint.id } } })).toBe(6);
  });

  it('wakes waiters in the order they began to wait; one that loses its slot to a newcomer keeps its place', async () => {
    const slots = workers[0].get(EndpointSlots);
    const endpoint = randomUUID();
    const take = (waiter: string) => slots.acquire(endpoint, 1, 10_000, waiter);
    const first = await take('a');
    expect(first).toHaveProperty('token');
    const b = await take('b');
    await sleep(5);
    const c = await take('c');
    expect(b).toHaveProperty('waitingSinceMs');
    expect((c as { waitingSinceMs: number }).waitingSinceMs).toBeGreaterThan((b as { waitingSinceMs: number }).waitingSinceMs);

    expect(await slots.release(endpoint, (first as { token: string }).token, 10_000)).toBe('b');
    // Before b runs again, a new delivery takes the freed slot; b, still waiting, goes back ahead of c.
    const newcomer = await take('n');
    expect(newcomer).toHaveProperty('token');
    expect(await take('b')).toEqual(b);
    expect(await slots.release(endpoint, (newcomer as { token: string }).token, 10_000)).toBe('b');
    expect(await slots.release(endpoint, '', 10_000)).toBe('c');
    expect(await slots.release(endpoint, '', 10_000)).toBeUndefined();
  });
});
