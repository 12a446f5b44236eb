import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContext } from './support/context.js';

// What GraphiQL, graphql-codegen and Postman send: graphql-js's own query, every option on.
const STANDARD = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
});

const deepTypeRef = (levels: number): string => {
  let inner = 'name';
  for (let i = 0; i < levels; i++) inner = `ofType { ${inner} }`;
  return `{ __type(name: "Query") { fields { type { ${inner} } } } }`;
};

describe('standard introspection where it is enabled', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start();
  });
  afterAll(async () => ctx?.close());

  it.each([
    ['with every option', STANDARD],
    ['with the defaults', getIntrospectionQuery()],
  ])('answers getIntrospectionQuery() %s, without a token, with a schema tools can build', async (_label, query) => {
    const res = await ctx.gql<IntrospectionQuery>(query);
    expect(res.errors).toBeUndefined();
    expect(res.status).toBe(200);
    const schema = buildClientSchema(res.data!);
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual(expect.arrayContaining(['alerts', 'me', 'serverInfo']));
    expect(schema.getSubscriptionType()?.getFields()).toHaveProperty('alertEvents');
  });

  it('answers it with a member token too', async () => {
    const token = await (await ctx.newMember()).token();
    const res = await ctx.gql<IntrospectionQuery>(STANDARD, {}, token);
    expect(res.errors).toBeUndefined();
    expect(res.data!.__schema.types.length).toBeGreaterThan(20);
  });

  it('refuses introspection deeper than the standard query, and keeps the limit for everything else', async () => {
    const tooDeep = await ctx.gql(deepTypeRef(13));
    expect(tooDeep.errors?.[0].extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'depth', max: 15, actual: 17 });
    const mixed = await ctx.gql(`{ serverInfo { issuer } ${deepTypeRef(8).slice(1, -1)} }`);
    expect(mixed.errors?.[0].extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'depth', max: 10, actual: 12 });
  });
});

describe('standard introspection in production', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start({ NODE_ENV: 'production' });
  });
  afterAll(async () => ctx?.close());

  it('stays off: getIntrospectionQuery() is refused as introspection, not for its depth', async () => {
    const res = await ctx.gql(STANDARD);
    expect(res.data ?? undefined).toBeUndefined();
    expect(res.errors?.[0].message).toMatch(/introspection/i);
    expect(res.errors?.map((e) => e.extensions?.code)).not.toContain('QUERY_LIMIT_EXCEEDED');
  });

  it('can be turned on with GRAPHQL_INTROSPECTION', async () => {
    const on = await TestContext.start({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' });
    try {
      const res = await on.gql<IntrospectionQuery>(STANDARD);
      expect(res.errors).toBeUndefined();
      expect(res.data!.__schema.queryType.name).toBe('Query');
    } finally {
      await on.close();
    }
  });
});
