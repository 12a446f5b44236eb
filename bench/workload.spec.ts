import { describe, expect, it } from 'vitest';
import { percentile, parseSize, sizeLabel } from './stats.js';
import { INGEST_MIX, LATENCY_MIX, preloadOwner, preloadToken, preloadType, submitVariables, WorkloadPlanner } from './workload.js';

describe('bench workload', () => {
  it("derives preloaded tokens exactly as the SQL preload does: sha256('\\x01' || int8send(i))", () => {
    // Both values computed by PostgreSQL 15.
    expect(preloadToken(5)).toBe('463c874a601f0572578fc1a0a07af1726b0285eadceb0d283db38001c07733f3');
    expect(preloadToken(1_234_567)).toBe('174fbd7a2285213dcaa4a62840b630cbc7a96d4a37b862a34bf7012aab1c38bf');
    // (g / members) % 4 + 1 and g % members + 1 in SQL's 1-based arrays.
    expect(preloadType(17, 8)).toBe('PROMPT_TEMPLATE');
    expect(preloadOwner(17, 8)).toBe(1);
  });

  it('knows in advance what a phase must store and alert', () => {
    const planner = new WorkloadPlanner(4, 8);
    const w = planner.plan({ label: 't', batchSize: 1_000, batchesPerMember: 3, mix: INGEST_MIX, preloaded: 100_000 });
    const items = w.batches.flat().flatMap((b) => b.items);
    const count = (kind: string) => items.filter((i) => i.kind === kind).length;
    expect(items).toHaveLength(12_000);
    expect(count('shared')).toBe(120);
    expect(count('hit')).toBe(120);
    expect(count('refresh')).toBe(600);
    // Each shared token: one alert per submitter; each hit: the submitter's and the holder's.
    expect(w.expected).toEqual({ items: 12_000, accepted: 11_400, duplicates: 600, matches: 30 + 120, alerts: 30 * 4 + 120 * 2 });
    expect(new Set(items.filter((i) => i.kind === 'new').map((i) => i.token)).size).toBe(count('new'));
  });

  it('hits only passive members’ stored tokens, each once in the whole run, and refreshes only the member’s own', () => {
    const planner = new WorkloadPlanner(4, 8);
    const plan = () => planner.plan({ label: 't', batchSize: 1_000, batchesPerMember: 2, mix: LATENCY_MIX, preloaded: 100_000 });
    const [a, b] = [plan(), plan()];
    const hits = [a, b].flatMap((w) => w.batches.flat().flatMap((x) => x.items.filter((i) => i.kind === 'hit').map((i) => i.token)));
    expect(new Set(hits).size).toBe(hits.length);
    expect(
      a.batches
        .flat()
        .flatMap((x) => x.items)
        .some((i) => i.kind === 'shared'),
    ).toBe(false);
    const ownerOf = new Map(Array.from({ length: 20_000 }, (_, i) => [preloadToken(i), preloadOwner(i, 8)] as const));
    for (const batch of a.batches.flat()) {
      for (const item of batch.items) {
        if (item.kind === 'hit') expect(ownerOf.get(item.token)).toBeGreaterThanOrEqual(4);
      }
    }
    const refreshes = a.batches[2].flatMap((x) => x.items.filter((i) => i.kind === 'refresh'));
    expect(refreshes.length).toBeGreaterThan(0);
    for (const r of refreshes.slice(0, 20)) {
      const i = Array.from({ length: 100_000 }, (_, k) => k).find((k) => k % 8 === 2 && preloadToken(k) === r.token);
      expect(i).toBeDefined();
    }
  });

  it('refuses to plan more hits than there are stored tokens', () => {
    const planner = new WorkloadPlanner(2, 4);
    expect(() => planner.plan({ label: 't', batchSize: 1_000, batchesPerMember: 10, mix: INGEST_MIX, preloaded: 500 })).toThrow(
      /not enough preloaded rows/,
    );
  });

  it('sends the items as GraphQL variables without the bench’s bookkeeping', () => {
    const w = new WorkloadPlanner(2, 3).plan({ label: 't', batchSize: 10, batchesPerMember: 1, mix: INGEST_MIX, preloaded: 1_000 });
    const vars = submitVariables(w.batches[0][0]);
    expect(vars.input.idempotencyKey).toMatch(/^bench-\d+-0-0$/);
    expect(vars.input.indicators[0]).toEqual({
      type: expect.any(String),
      token: expect.stringMatching(/^[0-9a-f]{64}$/),
      keyEpoch: 'bench-1',
      observedAt: expect.any(String),
      confidence: 50,
      externalRef: 'case-0',
    });
    expect(vars.input.indicators[1]).not.toHaveProperty('kind');
  });
});

describe('bench stats', () => {
  it('takes nearest-rank percentiles and reads sizes', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([], 50)).toBeNaN();
    expect(parseSize('10M')).toBe(10_000_000);
    expect(parseSize('100k')).toBe(100_000);
    expect(sizeLabel(1_000_000)).toBe('1M');
    expect(() => parseSize('ten')).toThrow(/not a size/);
  });
});
