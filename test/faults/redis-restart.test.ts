import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateRedis, waitFor } from '../../reliability/processes.js';
import { FaultStack, items, LockHolder, token } from '../support/faults.js';

/**
 * Redis (without persistence) restarts empty while correlation jobs wait in
 * it. The compiled API and worker run against this file's database and a
 * redis-server of the test's own, so the shared Redis is never touched.
 * (Delayed webhook retries lost the same way: test/webhooks-crash.test.ts.)
 */
describe('Redis restarts empty with correlation jobs pending', () => {
  let redis: PrivateRedis;
  let stack: FaultStack;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    // One events job at a time, so the jobs behind a blocked one wait in Redis.
    stack = await FaultStack.start({ REDIS_URL: redis.url, WORKER_CONCURRENCY: '1', EXPIRY_SWEEP_SECONDS: '1' });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await redis?.kill();
  });

  const alertCount = async (sql: string, params: unknown[]) => Number((await stack.db.query(sql, params)).rows[0].n);

  it(
    'replays the lost jobs from the outbox: every submission gets its alerts, every alert its deliveries',
    { timeout: 60_000 },
    async () => {
      const [a, b] = await stack.members(2);
      const x = token('x');
      await stack.submit(a, items([x]));
      await stack.submit(b, items([x]));
      const sets = [0, 1, 2].map((i) => Array.from({ length: 20 }, (_, j) => token(`set${i}-${j}`)));
      await stack.submit(b, items(sets.flat()));
      await stack.drained();

      // Freeze the correlation of A's first batch on X's match row; A's next two batches queue behind it.
      const lock = await LockHolder.hold(stack.env.DATABASE_URL, `SELECT 1 FROM matches WHERE token = decode($1, 'hex') FOR UPDATE`, [x]);
      try {
        await stack.submit(a, items([x, ...sets[0]]));
        await waitFor(async () => (await stack.lockWaiters()) >= 1, 'correlation blocked on the held row', 10_000);
        await stack.submit(a, items(sets[1]));
        await stack.submit(a, items(sets[2]));
        await waitFor(
          async () =>
            (await alertCount(`SELECT count(*)::int AS n FROM outbox_events WHERE relayed_at IS NOT NULL AND processed_at IS NULL`, [])) ===
            3,
          'three events relayed to Redis and not processed',
          10_000,
        );
        await redis.kill();
        await redis.restart();
      } finally {
        await lock.release();
      }

      await stack.drained(30_000);
      const report = await stack.assertInvariants();
      expect(report.alerts).toBe(2 + 3 * 20 * 2);
      expect(report.succeeded).toBe(report.alertEvents);
      // The two waiting jobs died with Redis; the relay put them back from the outbox.
      expect(stack.worker.output).toMatch(/re-relayed \d+ overdue outbox event/);
      expect(stack.worker.starts).toBe(1);
    },
  );

  it('keeps its schedules: after the restart, expired indicators still close their alerts', { timeout: 60_000 }, async () => {
    await redis.kill();
    await redis.restart();
    const [c, d] = await stack.members(2);
    const z = token('z');
    const expiresAt = new Date(Date.now() + 4_000).toISOString();
    await stack.submit(c, items([z], { expiresAt }));
    await stack.submit(d, items([z], { expiresAt }));
    const onZ = (status: string) =>
      alertCount(
        `SELECT count(*)::int AS n FROM alerts a JOIN matches m ON m.id = a.match_id WHERE m.token = decode($1, 'hex') AND a.status = $2::"AlertStatus"`,
        [z, status],
      );
    await waitFor(async () => (await onZ('OPEN')) === 2, 'alerts on Z open', 15_000);
    // The expiry sweep is a BullMQ job scheduler: it must exist again in the emptied Redis.
    await waitFor(async () => (await onZ('CLOSED')) === 2, 'alerts on Z closed by the expiry sweep', 30_000);
    await stack.drained();
    await stack.assertInvariants({ acknowledged: false });
  });
});
