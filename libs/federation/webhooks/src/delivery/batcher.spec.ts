import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

describe('Batcher', () => {
  it('serves the calls of one turn with one run, each call its own answer', async () => {
    const runs: number[][] = [];
    const batcher = new Batcher<number, number>(async (inputs) => {
      runs.push(inputs);
      return inputs.map((n) => n * 10);
    });
    expect(await Promise.all([1, 2, 3].map((n) => batcher.call(n)))).toEqual([10, 20, 30]);
    expect(await batcher.call(4)).toBe(40);
    expect(runs).toEqual([[1, 2, 3], [4]]);
  });

  it('runs at most `max` calls together', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>(async (inputs) => {
      sizes.push(inputs.length);
      return inputs;
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.call(n)));
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('when a batch fails, runs its calls one by one, so that only the bad one fails', async () => {
    const batcher = new Batcher<number, number>(async (inputs) => {
      if (inputs.includes(13)) throw new Error('unlucky');
      return inputs;
    });
    const results = await Promise.allSettled([12, 13, 14].map((n) => batcher.call(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('unlucky'));
  });
});
