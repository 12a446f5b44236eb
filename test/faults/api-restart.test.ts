import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigfedNetworkError, SUBMIT_INDICATORS, type SubmissionResult } from '@app/sdk';
import type { RunMember } from '../../reliability/members.js';
import { waitFor } from '../../reliability/processes.js';
import { FaultStack, items, LockHolder, token } from '../support/faults.js';

/**
 * The API process restarts while a 10,000-item submission is in its
 * transaction. The test holds a lock on one row the submission must update,
 * so the request is certainly mid-transaction when the signal arrives; the
 * client then retries with the same idempotency key, as the SDK does.
 */
describe('the API restarts during a long submission', () => {
  let stack: FaultStack;
  let a: RunMember;
  let b: RunMember;
  const x = token('x');

  beforeAll(async () => {
    stack = await FaultStack.start();
    [a, b] = await stack.members(2);
    await stack.submit(a, items([x]));
    await stack.submit(b, items([x]));
    await stack.drained();
  }, 60_000);

  afterAll(async () => stack?.close());

  /** A's batch: X (already held, so the upsert must wait for the test's lock on it), 20 tokens B holds, and A's own. */
  async function longBatch(label: string) {
    const shared = Array.from({ length: 20 }, (_, i) => token(`${label}-shared-${i}`));
    await stack.submit(b, items(shared));
    const own = Array.from({ length: 10_000 - 21 }, (_, i) => token(`${label}-own-${i}`));
    return { key: `fault-${label}-${x.slice(0, 8)}`, batch: items([x, ...shared, ...own]) };
  }

  /** Sends the batch once (no retries), holding X's row so that the request stalls inside its transaction. */
  async function stalledSubmission(key: string, batch: ReturnType<typeof items>) {
    const lock = await LockHolder.hold(
      stack.env.DATABASE_URL,
      `SELECT 1 FROM indicators WHERE member_no = (SELECT member_no FROM members WHERE id = $1::uuid) AND token = decode($2, 'hex') FOR UPDATE`,
      [a.id, x],
    );
    const answer = a.client
      .graphql<{ submitIndicators: SubmissionResult }>(
        SUBMIT_INDICATORS,
        { input: { idempotencyKey: key, indicators: batch } },
        { retry: false },
      )
      .then(
        (data) => ({ ok: true as const, result: data.submitIndicators }),
        (error: Error) => ({ ok: false as const, error }),
      );
    await waitFor(async () => (await stack.lockWaiters()) >= 1, 'submission waiting inside its transaction', 15_000);
    return { lock, answer };
  }

  const stored = async (key: string) =>
    (await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM submissions WHERE idempotency_key = $1`, [key])).rows[0].n;

  it(
    'SIGKILL: the interrupted transaction leaves nothing; the retry stores the batch once and its alerts follow',
    { timeout: 90_000 },
    async () => {
      const { key, batch } = await longBatch('kill');
      await stack.drained();
      const { lock, answer } = await stalledSubmission(key, batch);
      await stack.api.stop('SIGKILL');
      await lock.release();
      const first = await answer;
      expect(first.ok).toBe(false);
      expect(first.ok ? undefined : first.error).toBeInstanceOf(SigfedNetworkError);

      // The dead request's transaction rolls back: no submission row, none of its items.
      await waitFor(
        async () => (await stored(key)) === 0 && (await stack.lockWaiters()) === 0,
        'interrupted transaction rolled back',
        15_000,
      );

      await stack.api.start();
      const result = await stack.submit(a, batch, key);
      expect(result).toMatchObject({ accepted: 10_000 - 1, duplicates: 1 });
      expect(await stack.submit(a, batch, key)).toEqual(result);
      expect(await stored(key)).toBe(1);

      await stack.drained(60_000);
      const report = await stack.assertInvariants();
      // X's pair, plus 20 new matches of two holders each.
      expect(report.openAlerts).toBe(2 + 20 * 2);
    },
  );

  it('SIGTERM: the request in flight finishes and is answered, then the process exits 0', { timeout: 90_000 }, async () => {
    const { key, batch } = await longBatch('term');
    await stack.drained();
    const { lock, answer } = await stalledSubmission(key, batch);
    const exited = stack.api.stop('SIGTERM');
    // The shutdown is under way while the request still waits inside its transaction.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await lock.release();
    const first = await answer;
    expect(first.ok ? first.result : first.error.message).toMatchObject({ accepted: 10_000 - 1, duplicates: 1 });
    expect((await exited).code).toBe(0);

    await stack.api.start();
    // The client could not know the answer was its last: a retry replays it.
    if (first.ok) stack.acknowledge(a.id, key, first.result);
    expect(await stack.submit(a, batch, key)).toEqual(first.ok ? first.result : undefined);
    expect(await stored(key)).toBe(1);

    await stack.drained(60_000);
    const report = await stack.assertInvariants();
    expect(report.openAlerts).toBe(2 + 2 * 20 * 2);
  });
});
