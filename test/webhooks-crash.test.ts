import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContext, testToken } from './support/context.js';
import { childEnv, distEntry, RunningProcess } from './support/processes.js';
import { until } from './support/wait.js';
import { WebhookReceiver } from './support/webhooks.js';
import { freePort } from '@app/common';

/**
 * Crash safety, process by process: the compiled worker (dist/, built by
 * `npm test`) is SIGKILLed mid-delivery, and a Redis of this file's own (so
 * the shared one is never touched) is killed and restarted empty.
 */

/** A private, non-persistent redis-server on `port`. */
function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}

async function redisUp(port: number): Promise<void> {
  const { Redis } = await import('ioredis');
  await until(async () => {
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }, 'redis-server up');
}

describe('webhook delivery survives crashes', () => {
  let redisPort: number;
  let redis: ChildProcess;
  let api: TestContext;
  let worker: RunningProcess;
  let workerPort: number;
  let receiver: WebhookReceiver;
  let env: Record<string, string>;

  const startWorker = async () => {
    worker = RunningProcess.start(
      distEntry('apps/worker/src/main.js'),
      [],
      childEnv({ ...env, HOST: '127.0.0.1', WORKER_PORT: String(workerPort) }),
    );
    await worker.waitForOk(`http://127.0.0.1:${workerPort}/readyz`);
  };
  const delivered = (endpointId: string) =>
    until(
      async () => (await api.db.webhookDelivery.count({ where: { endpointId, status: 'SUCCEEDED' } })) === 1,
      'delivery succeeded',
      60_000,
    );

  beforeAll(async () => {
    redisPort = await freePort();
    redis = startRedis(redisPort);
    await redisUp(redisPort);
    workerPort = await freePort();
    env = {
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
      WEBHOOK_RETRY_SCHEDULE: '0,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s',
      OUTBOX_POLL_MS: '200',
      OUTBOX_REDELIVER_AFTER_SECONDS: '2',
    };
    api = await TestContext.start(env);
    receiver = await WebhookReceiver.start();
    await startWorker();
  }, 60_000);

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await worker?.exited;
    await receiver?.close();
    await api?.close();
    redis?.kill('SIGKILL');
  });

  it('delivers the alert after the worker is SIGKILLed during the delivery and restarted', { timeout: 90_000 }, async () => {
    const [a, b] = [await api.newMember(), await api.newMember()];
    const endpoint = await api.newEndpoint(a, { url: receiver.url('/killed') });
    receiver.reply('hang');
    await api.shareToken([a, b], testToken('sigkill'));
    await until(() => receiver.at('/killed').length === 1, 'first attempt reached the receiver', 30_000);

    worker.kill('SIGKILL');
    expect((await worker.exited).signal).toBe('SIGKILL');
    receiver.release(200); // too late: nobody is listening for this answer any more
    await startWorker();
    await delivered(endpoint.id);

    const requests = receiver.at('/killed');
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(JSON.parse(requests[1].body)).toMatchObject({ type: 'alert.created' });
  });

  it('loses nothing when Redis restarts empty with deliveries pending', { timeout: 90_000 }, async () => {
    const [c, d, e, f] = [await api.newMember(), await api.newMember(), await api.newMember(), await api.newMember()];
    const waiting = await api.newEndpoint(c, { url: receiver.url('/retrying') });
    const later = await api.newEndpoint(e, { url: receiver.url('/during-outage') });
    receiver.fallback = { status: 500 };
    await api.shareToken([c, d], testToken('redis-pending'));
    // Its first attempt failed: the retry now waits as a delayed job in Redis.
    await until(() => receiver.at('/retrying').length >= 1, 'first attempt', 30_000);

    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    // Submitted while Redis is down: the outbox row commits in Postgres, the relay cannot enqueue it yet.
    await api.shareToken([e, f], testToken('redis-down'));
    redis = startRedis(redisPort);
    await redisUp(redisPort);
    receiver.fallback = { status: 204 };

    await delivered(waiting.id);
    await delivered(later.id);
    // The pending retry's job died with Redis; the worker's sweep put it back from Postgres.
    expect(worker.stdout).toMatch(/re-queued \d+ webhook deliveries/);
    expect(new Set(receiver.at('/retrying').map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(JSON.parse(receiver.at('/during-outage').at(-1)!.body)).toMatchObject({ type: 'alert.created' });
  });
});
