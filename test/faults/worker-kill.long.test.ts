import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubmissionLoad } from '../../reliability/load.js';
import { PrivateRedis, waitFor } from '../../reliability/processes.js';
import { FaultStack, items, LockHolder, token } from '../support/faults.js';

/**
 * The worker is SIGKILLed in the middle of its work, and (second part)
 * Redis restarts empty under load. These take minutes (a killed worker's
 * events job waits out BullMQ's 30 s lock before another worker takes it
 * over), so they run with `npm run faults`, not in `npm test`. Shorter
 * cousins in the suite: test/outbox-crash.test.ts (killed between
 * submissions), test/webhooks-crash.test.ts (killed during one delivery).
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the worker is SIGKILLed mid-work', () => {
  let redis: PrivateRedis;
  let stack: FaultStack;
  let queues: { events: Queue; webhooks: Queue };

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await FaultStack.start({ REDIS_URL: redis.url, OUTBOX_REDELIVER_AFTER_SECONDS: '5' });
    const connection = { url: redis.url };
    queues = {
      events: new Queue('events', { connection, prefix: stack.env.REDIS_PREFIX }),
      webhooks: new Queue('webhooks', { connection, prefix: stack.env.REDIS_PREFIX }),
    };
    // The test's own view of the queues loses its connection whenever Redis is killed: expected.
    for (const queue of Object.values(queues)) queue.on('error', () => undefined);
  }, 60_000);

  afterAll(async () => {
    await queues?.events.close();
    await queues?.webhooks.close();
    await stack?.close();
    await redis?.kill();
  });

  it(
    'during correlation: the half-done pass rolls back, a restarted worker redoes it, alerts exactly once',
    { timeout: 180_000 },
    async () => {
      const [a, b] = await stack.members(2);
      const x = token('x');
      await stack.submit(a, items([x]));
      await stack.submit(b, items([x]));
      const shared = Array.from({ length: 500 }, (_, i) => token(`s${i}`));
      await stack.submit(b, items(shared));
      await stack.drained();

      const lock = await LockHolder.hold(stack.env.DATABASE_URL, `SELECT 1 FROM matches WHERE token = decode($1, 'hex') FOR UPDATE`, [x]);
      try {
        await stack.submit(a, items([x, ...shared]));
        // The correlation pass is inside its transaction, waiting for X's match row.
        await waitFor(async () => (await stack.lockWaiters()) >= 1, 'correlation blocked mid-transaction', 15_000);
        expect((await queues.events.getJobCounts('active')).active).toBe(1);
        await stack.worker.stop('SIGKILL');
      } finally {
        await lock.release();
      }
      const alerts = async () => Number((await stack.db.query(`SELECT count(*)::int AS n FROM alerts`)).rows[0].n);
      await sleep(1_000);
      expect(await alerts()).toBe(2); // nothing of the interrupted pass committed

      await stack.worker.start();
      // BullMQ hands the dead worker's job over once its lock (30 s) expires.
      await stack.drained(120_000);
      const report = await stack.assertInvariants();
      expect(report.openAlerts).toBe(2 + 500 * 2);
      expect(report.succeeded).toBe(report.alertEvents);
    },
  );

  it(
    'again and again under load: kills land during correlation and during delivery; nothing is lost or doubled',
    { timeout: 400_000 },
    async () => {
      // Receivers take 50 ms to answer, so deliveries are in flight long enough to be hit. The load
      // stays modest: one endpoint takes WEBHOOK_ENDPOINT_CONCURRENCY (10 by default) attempts at a time.
      const members = await stack.members(3, [0.5], 50);
      const load = new SubmissionLoad(members, {
        runId: randomBytes(4).toString('hex'),
        batchSize: 50,
        sharedPerBatch: 5,
        intervalMs: 1_000,
        retractEvery: 5,
      });
      const busy = {
        correlation: async () => (await queues.events.getJobs(['active'])).some((j) => j?.name === 'indicators.submitted'),
        delivery: async () => (await queues.webhooks.getJobCounts('active')).active > 0,
      };
      const hits = { correlation: 0, delivery: 0 };
      load.start();
      try {
        for (let i = 0; i < 8; i++) {
          await sleep(1_000 + Math.random() * 2_000);
          // Aim: wait (briefly) for the kind of work this kill is meant to interrupt.
          const target = i % 2 === 0 ? 'correlation' : 'delivery';
          const deadline = Date.now() + 10_000;
          while (!(await busy[target]()) && Date.now() < deadline) await sleep(5);
          if (await busy[target]()) hits[target]++;
          await stack.worker.stop('SIGKILL');
          await sleep(500 + Math.random() * 1_000);
          await stack.worker.start();
        }
        await load.stop(60_000);
      } finally {
        await load.stop(5_000).catch(() => undefined);
        for (const [id, ack] of load.acknowledged) stack.acknowledged.set(id, ack);
      }
      expect(hits.correlation).toBeGreaterThanOrEqual(2);
      expect(hits.delivery).toBeGreaterThanOrEqual(2);
      await stack.drained(240_000);
      expect(load.stats.refused).toEqual([]);
      const report = await stack.assertInvariants();
      expect(report.alertEvents).toBeGreaterThan(50);
      console.log(
        `worker SIGKILLed 8 times (${hits.correlation} during correlation, ${hits.delivery} during delivery): ${report.alertEvents} alert events, ` +
          `${report.succeeded} deliveries, ${report.redelivered} redelivered after a 2xx, lost ${report.lost}`,
      );
    },
  );

  it('Redis restarts empty twice under load: nothing is lost or doubled', { timeout: 300_000 }, async () => {
    const members = await stack.members(3, [0.5]);
    const workerStarts = stack.worker.starts;
    const load = new SubmissionLoad(members, {
      runId: randomBytes(4).toString('hex'),
      batchSize: 50,
      sharedPerBatch: 10,
      intervalMs: 400,
      retractEvery: 5,
    });
    load.start();
    try {
      for (let i = 0; i < 2; i++) {
        await sleep(4_000);
        await redis.kill();
        await sleep(1_000);
        await redis.restart();
      }
      await sleep(4_000);
      await load.stop(60_000);
    } finally {
      await load.stop(5_000).catch(() => undefined);
      for (const [id, ack] of load.acknowledged) stack.acknowledged.set(id, ack);
    }
    await stack.drained(180_000);
    expect(load.stats.refused).toEqual([]);
    const report = await stack.assertInvariants();
    expect(report.alertEvents).toBeGreaterThan(50);
    // Neither process needed a restart to get over it.
    expect([stack.api.starts, stack.worker.starts]).toEqual([1, workerStarts]);
    expect(stack.worker.output).toMatch(/re-relayed \d+ overdue outbox event/);
  });
});
