import { buildSchema, getIntrospectionQuery, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUERY_LIMITS, enforceQueryLimits, INTROSPECTION_DEPTH, withoutListItems } from './query-limits.js';

const schema = buildSchema(`
  scalar JSONObject
  input Batch { key: String!, items: [Int!]! }
  type Query { page(first: Int, after: String): [Int!]!, take(batch: Batch!, extra: JSONObject): Int }
`);

describe('enforceQueryLimits and variables', () => {
  it('leaves variables that do not coerce to execution (BAD_USER_INPUT), instead of throwing them from the plugin hook', () => {
    const doc = parse('query($b: Batch!) { take(batch: $b) }');
    for (const variables of [{}, { b: null }, { b: { key: 1, items: [] } }, { b: { key: 'k', items: 'x', other: true } }]) {
      expect(() => enforceQueryLimits(schema, doc, undefined, variables)).not.toThrow();
    }
  });

  it('still prices an operation whose variables coerce', () => {
    const doc = parse('query($n: Int) { page(first: $n) }');
    expect(enforceQueryLimits(schema, doc, undefined, { n: 50 })).toBeGreaterThan(50);
  });

  it('copies variables of any depth without recursion, lists of objects emptied', () => {
    let deep: Record<string, unknown> = { list: [{ i: 1 }, { i: 2 }] };
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    const copy = withoutListItems({ x: deep, items: [{ i: 1 }], n: 3 }) as Record<string, unknown>;
    expect(copy.items).toEqual([]);
    expect(copy.n).toBe(3);
    let inner = copy.x as Record<string, unknown>;
    while ('a' in inner) inner = inner.a as Record<string, unknown>;
    expect(inner).toEqual({ list: [] });
  });

  it('keeps short lists of scalars, which a field may be priced by, and empties longer ones', () => {
    const copy = withoutListItems({ b: { key: 'k', items: [1, 2] }, long: new Array<string>(4_097).fill('x') }) as unknown as {
      b: { items: unknown[] };
      long: unknown[];
    };
    expect(copy.b.items).toEqual([1, 2]);
    expect(copy.long).toEqual([]);
  });
});

describe('enforceQueryLimits and introspection', () => {
  const standard = parse(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, oneOf: true }));

  it('lets the standard introspection query through its depth only where introspection is on', () => {
    expect(INTROSPECTION_DEPTH).toBeGreaterThan(DEFAULT_QUERY_LIMITS.maxDepth);
    expect(() => enforceQueryLimits(schema, standard, undefined, {}, { ...DEFAULT_QUERY_LIMITS, introspection: true })).not.toThrow();
    expect(() => enforceQueryLimits(schema, standard, undefined, {})).toThrow(`exceeds the limit of ${DEFAULT_QUERY_LIMITS.maxDepth}`);
  });

  it('keeps the configured depth for an operation that selects anything besides introspection', () => {
    const limits = { ...DEFAULT_QUERY_LIMITS, maxDepth: 2, introspection: true };
    const introspection = '__schema { types { fields { type { ofType { name } } } } }';
    expect(() => enforceQueryLimits(schema, parse(`{ ${introspection} }`), undefined, {}, limits)).not.toThrow();
    expect(() => enforceQueryLimits(schema, parse(`{ page(first: 1) ${introspection} }`), undefined, {}, limits)).toThrow(
      'Query depth 6 exceeds the limit of 2',
    );
  });
});
