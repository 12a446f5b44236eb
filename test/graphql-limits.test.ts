import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContext } from './support/context.js';

const nested = (depth: number): string => {
  // __type(name) { fields { type { ofType { ofType ... } } } } grows one level per ofType. With
  // a field beside it, it is not an introspection-only query, which may go deeper (see
  // test/graphql-introspection.test.ts).
  let inner = 'name';
  for (let i = 0; i < depth; i++) inner = `ofType { ${inner} }`;
  return `{ serverInfo { issuer } __type(name: "Query") { fields { type { ${inner} } } } }`;
};

describe('GraphQL limits, refused before any resolver runs', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start({ GRAPHQL_MAX_COST: '500' });
  });
  afterAll(async () => ctx?.close());

  it('refuses a document deeper than the limit, saying by how much', async () => {
    const ok = await ctx.gql(nested(5));
    expect(ok.errors).toBeUndefined();
    const res = await ctx.gql(nested(12));
    expect(res.status).toBe(400);
    expect(res.errors?.[0].message).toBe('Query depth 16 exceeds the limit of 10');
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'depth', max: 10, actual: 16 });
  });

  it('refuses too many aliases', async () => {
    const fields = Array.from({ length: 31 }, (_, i) => `a${i}: serverInfo { issuer }`).join(' ');
    const res = await ctx.gql(`{ ${fields} }`);
    expect(res.errors?.[0].extensions).toMatchObject({ limit: 'aliases', max: 30, actual: 31 });
  });

  it('refuses too many operations in one document', async () => {
    const doc = Array.from({ length: 6 }, (_, i) => `query Q${i} { serverInfo { issuer } }`).join('\n');
    const res = await fetch(`${ctx.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: doc, operationName: 'Q1' }),
    });
    const body = (await res.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(body.errors[0].extensions).toMatchObject({ limit: 'operations', max: 5, actual: 6 });
  });

  it('prices lists by their page size and refuses an operation over the cost limit', async () => {
    const res = await ctx.gql('{ alerts(first: 100) { edges { node { id token status } } } }');
    expect(res.status).toBe(400);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'cost', max: 500 });
    expect(Number(res.errors?.[0].extensions?.actual)).toBeGreaterThan(300);
  });

  it('reports the cost of an accepted operation', async () => {
    const res = await ctx.gql('{ serverInfo { issuer } }');
    expect(res.extensions?.cost).toBe(2);
  });

  it('refuses a text/plain POST (CSRF) and a GET without a preflight-forcing header', async () => {
    const plain = await fetch(`${ctx.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ serverInfo { issuer } }' }),
    });
    expect(plain.status).toBe(400);
    const get = await fetch(`${ctx.url}/graphql?query=${encodeURIComponent('{ serverInfo { issuer } }')}`);
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(/CSRF/i);
  });
});

describe('production mode', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start({ NODE_ENV: 'production' });
  });
  afterAll(async () => ctx?.close());

  it('turns introspection and field suggestions off', async () => {
    const intro = await ctx.gql('{ __schema { types { name } } }');
    expect(intro.errors?.[0].message).toMatch(/introspection/i);
    const typo = await ctx.gql('{ serverInf { issuer } }');
    expect(typo.errors?.[0].message).not.toMatch(/Did you mean/);
  });

  it('hides internal errors and stack traces', async () => {
    const res = await ctx.gql('{ serverInfo { issuer } }');
    expect(JSON.stringify(res)).not.toMatch(/stacktrace/);
  });
});
