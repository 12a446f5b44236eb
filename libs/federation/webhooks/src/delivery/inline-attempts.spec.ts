import { describe, expect, it } from 'vitest';
import { InlineAttempts, type InlineDelivery } from './inline-attempts.js';

type D = InlineDelivery & { id: string };

/** Attempts that end when the test says so. */
function harness(limits: { total: number; perEndpoint: number; perMember: number }) {
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  const attempts = new InlineAttempts<D>(limits, (d) => {
    started.push(d.id);
    return new Promise<void>((resolve) => finish.set(d.id, resolve));
  });
  const end = async (id: string) => {
    finish.get(id)!();
    await new Promise((r) => setImmediate(r));
  };
  return { attempts, started, end };
}

const d = (id: string, endpointId = 'e1', memberId = 'm1'): D => ({ id, endpointId, memberId });

describe('InlineAttempts', () => {
  it('holds a member to its limit in this process and starts the next of its deliveries, in order, as one ends', async () => {
    const { attempts, started, end } = harness({ total: 10, perEndpoint: 10, perMember: 2 });
    for (const id of ['a', 'b', 'c', 'd']) expect(attempts.offer(d(id, `e-${id}`))).toBe(true);
    expect(attempts.offer(d('x', 'e-x', 'm2'))).toBe(true);
    expect(started).toEqual(['a', 'b', 'x']);
    await end('b');
    expect(started).toEqual(['a', 'b', 'x', 'c']);
    await end('x');
    expect(started).toHaveLength(4);
    await end('a');
    expect(started).toEqual(['a', 'b', 'x', 'c', 'd']);
  });

  it('holds an endpoint to its limit as well', async () => {
    const { attempts, started, end } = harness({ total: 10, perEndpoint: 1, perMember: 5 });
    attempts.offer(d('a'));
    attempts.offer(d('b'));
    attempts.offer(d('c', 'e2'));
    expect(started).toEqual(['a', 'c']);
    await end('a');
    expect(started).toEqual(['a', 'c', 'b']);
  });

  it('refuses a delivery once `total` run or wait, and settles only after the waiting ones have run', async () => {
    const { attempts, started, end } = harness({ total: 2, perEndpoint: 1, perMember: 5 });
    expect(attempts.offer(d('a'))).toBe(true);
    expect(attempts.offer(d('b'))).toBe(true);
    expect(attempts.offer(d('c', 'e2'))).toBe(false);
    let settled = false;
    const settling = attempts.settle().then(() => (settled = true));
    await end('a');
    expect(started).toEqual(['a', 'b']);
    expect(settled).toBe(false);
    await end('b');
    await settling;
    expect(settled).toBe(true);
  });
});
