import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateRedisCluster, waitFor } from '../../reliability/processes.js';
import type { RunMember } from '../../reliability/members.js';
import { FaultStack, items, token } from '../support/faults.js';
import type { TestContext } from '../support/context.js';
import { Subscriber } from '../support/subscriber.js';

/** BullMQ's keys all hash to this tag; the application's own keys spread by theirs. */
const PREFIX = '{sigfed-cluster}';

/**
 * The API and worker on a Redis Cluster of the test's own (three masters,
 * three replicas on loopback ports): submissions correlate, alerts reach
 * webhooks and subscriptions; then the master serving the queues' slot is
 * killed, its replica takes over, and every alert of the submissions made
 * before, during and after the fail-over still arrives both ways.
 */
describe('Redis Cluster, with the queues master killed', () => {
  let cluster: PrivateRedisCluster;
  let stack: FaultStack;
  let members: RunMember[];
  const subscribers = new Map<string, Subscriber>();

  beforeAll(async () => {
    cluster = await PrivateRedisCluster.start();
    stack = await FaultStack.start({
      REDIS_URL: `redis://127.0.0.1:${cluster.ports[0]}`,
      REDIS_CLUSTER_NODES: cluster.seeds,
      REDIS_PREFIX: PREFIX,
    });
    members = await stack.members(2);
    for (const m of members) {
      const subscriber = new Subscriber({ url: stack.api.url } as TestContext, {
        authorization: `Bearer ${await m.client.getAccessToken()}`,
      });
      subscribers.set(m.id, subscriber);
    }
    await new Promise((r) => setTimeout(r, 500));
  }, 90_000);

  afterAll(async () => {
    for (const s of subscribers.values()) await s.dispose().catch(() => undefined);
    await stack?.close();
    await cluster?.close();
  });

  /** Every stored alert event of each member arrived on its subscription, once. */
  async function subscriptionsComplete(): Promise<boolean> {
    const { rows } = await stack.db.query<{ member: string; n: number }>(
      `SELECT member_id::text AS member, count(*)::int AS n FROM alert_events GROUP BY member_id`,
    );
    return members.every((m) => {
      const got = subscribers.get(m.id)!;
      const stored = rows.find((r) => r.member === m.id)?.n ?? 0;
      return stored > 0 && got.events.length === stored && new Set(got.events.map((e) => `${e.alert.id}:${e.type}`)).size === stored;
    });
  }

  async function submitShared(label: string, count: number): Promise<void> {
    const tokens = Array.from({ length: count }, (_, i) => token(`${label}-${i}`));
    for (const m of members) await stack.submit(m, items(tokens));
  }

  it('submits, correlates, delivers webhooks and subscriptions across the cluster', { timeout: 60_000 }, async () => {
    await submitShared('before', 10);
    await stack.drained();
    const report = await stack.assertInvariants();
    expect(report.alerts).toBe(20);
    expect(report.succeeded).toBe(report.alertEvents);
    await waitFor(subscriptionsComplete, 'every alert event on the subscriptions', 15_000);
    // BullMQ's keys are on the master of the prefix's slot; nothing went to the machine's shared Redis.
    const queuesMaster = await cluster.masterOf(await cluster.slotOf(PREFIX));
    expect(await cluster.cli(queuesMaster, '--scan', '--pattern', `${PREFIX}:*`)).toMatch(/\{sigfed-cluster\}:events:/);
    // The application's keys hash by their own tags (one slot per member), not by the queues' tag.
    const slots = new Set([await cluster.slotOf(PREFIX)]);
    for (const m of members) slots.add(await cluster.slotOf(`sigfed-cluster:member-epoch:{${m.id}}`));
    expect(slots.size).toBe(1 + members.length);
    // The request budget (charged with the epoch read, one script) is on the member's master.
    const budget = `sigfed-cluster:rl:q:{${members[0].id}}`;
    expect(await cluster.cli(await cluster.masterOf(await cluster.slotOf(budget)), 'EXISTS', budget)).toBe('1');
  });

  it('loses nothing when the master serving the queues dies and its replica takes over', { timeout: 90_000 }, async () => {
    const slot = await cluster.slotOf(PREFIX);
    const victim = await cluster.masterOf(slot);
    await cluster.kill(victim);
    // Submitted while the cluster has no master for the queues: stored in PostgreSQL, relayed once it has one again.
    await submitShared('during', 10);
    await waitFor(async () => (await cluster.masterOf(slot)) !== victim && (await cluster.healthy()), 'a replica promoted', 30_000);
    await submitShared('after', 10);

    await stack.drained(60_000);
    const report = await stack.assertInvariants();
    expect(report.alerts).toBe(60);
    expect(report.succeeded).toBe(report.alertEvents);
    await waitFor(subscriptionsComplete, 'every alert event on the subscriptions after the fail-over', 20_000);
    expect(stack.api.running && stack.worker.running).toBe(true);
    expect(stack.worker.starts).toBe(1);
  });
});
