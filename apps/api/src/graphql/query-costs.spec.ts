import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { cacheKey, QueryCosts } from './query-costs.js';
import { DEFAULT_QUERY_LIMITS, enforceQueryLimits } from './query-limits.js';

const schema = buildSchema(`
  input Filter { status: String, tags: [String!] }
  type Item { id: ID!, name: String! }
  type Query { page(first: Int, after: String, filter: Filter): [Item!]! }
`);
const doc = parse('query Page($n: Int, $f: Filter) { page(first: $n, filter: $f) { id name } }');

describe('QueryCosts', () => {
  it('prices as enforceQueryLimits does, per variable set', () => {
    const costs = new QueryCosts(DEFAULT_QUERY_LIMITS);
    for (const variables of [{ n: 10 }, { n: 50, f: { status: 'OPEN' } }, { n: 10 }, undefined]) {
      expect(costs.costOf(schema, doc, 'Page', variables)).toBe(enforceQueryLimits(schema, doc, 'Page', variables));
    }
    expect(costs.costOf(schema, doc, 'Page', { n: 50 })).toBeGreaterThan(costs.costOf(schema, doc, 'Page', { n: 10 }));
  });

  it('refuses an over-limit operation every time, never keeping it', () => {
    const costs = new QueryCosts({ ...DEFAULT_QUERY_LIMITS, maxCost: 100 });
    expect(costs.costOf(schema, doc, 'Page', { n: 10 })).toBeLessThanOrEqual(100);
    for (let i = 0; i < 2; i++) expect(() => costs.costOf(schema, doc, 'Page', { n: 99 })).toThrow(/cost/);
  });

  it('tells apart variables that JSON would confuse or a reordering would not change', () => {
    expect(cacheKey('A', { n: 1 })).not.toBe(cacheKey('A', { n: '1' }));
    expect(cacheKey('A', { n: undefined })).not.toBe(cacheKey('A', { n: null }));
    expect(cacheKey('A', { n: 1 })).not.toBe(cacheKey('B', { n: 1 }));
    expect(cacheKey(null, { f: { tags: ['a,b'] } })).not.toBe(cacheKey(null, { f: { tags: ['a', 'b'] } }));
    expect(cacheKey('A', { n: 1 })).toBe(cacheKey('A', { n: 1 }));
  });

  it('keeps no key for long or deep variables, without copying them first', () => {
    expect(cacheKey('A', { items: new Array<number>(100_000).fill(1) })).toBeUndefined();
    expect(cacheKey('A', { text: 'x'.repeat(2_000) })).toBeUndefined();
    const wide: Record<string, number> = {};
    for (let i = 0; i < 100_000; i++) wide[`k${i}`] = i;
    expect(cacheKey('A', { wide })).toBeUndefined();
    expect(cacheKey('A', { a: { b: { c: { d: { e: 1 } } } } })).toBeUndefined();
    expect(cacheKey('A', { first: 20, filter: { status: 'OPEN', since: '2026-12-04T00:00:00Z' } })).toBeDefined();
  });
});
