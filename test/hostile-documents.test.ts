import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestContext } from './support/context.js';

/** Each fragment spreads the next twice: expanded, the document doubles per level. */
const nestedSpreads = (levels: number): string => {
  const defs = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  return `query { ...F0 }\n${defs.join('\n')}\nfragment F${levels} on Query { serverInfo { issuer } }`;
};
const chainedFragments = (n: number): string => {
  const defs = Array.from({ length: n }, (_, i) => `fragment Frag${i} on Query { ...Frag${i + 1} }`);
  return `query { ...Frag0 }\n${defs.join('\n')}\nfragment Frag${n} on Query { serverInfo { issuer } }`;
};
const manySkips = (n: number): string => `{ serverInfo { issuer ${'@skip(if: false) '.repeat(n)} } }`;
const duplicatedFields = (n: number): string => `{ serverInfo { ${'issuer '.repeat(n)} } }`;

async function post(url: string, query: string, token?: string, extensions?: unknown): Promise<{ status: number; ms: number; body: any }> {
  const started = performance.now();
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, ...(extensions ? { extensions } : {}) }),
  });
  const body = await res.json();
  return { status: res.status, ms: performance.now() - started, body };
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

describe('hostile documents are refused fast, before validation', () => {
  let ctx: TestContext;
  let token: string;
  beforeAll(async () => {
    ctx = await TestContext.start({ NODE_ENV: 'production' });
    token = await (await ctx.newMember()).token();
  });
  afterAll(async () => ctx?.close());

  const shapes: [string, () => string, string][] = [
    ['nested fragment spreads, 25 levels', () => nestedSpreads(25), 'TOO_MANY_FRAGMENTS'],
    ['nested fragment spreads, 30 levels', () => nestedSpreads(30), 'TOO_MANY_FRAGMENTS'],
    ['2,000 chained fragments (~94 KB)', () => chainedFragments(2_000), 'QUERY_TOO_LARGE'],
    ['50,000 @skip directives', () => manySkips(50_000), 'QUERY_TOO_LARGE'],
    ['100,000 duplicated fields', () => duplicatedFields(100_000), 'QUERY_TOO_LARGE'],
  ];
  for (const [name, make, code] of shapes) {
    it(`refuses ${name} from an anonymous caller with 400 ${code}`, async () => {
      const res = await post(ctx.url, make());
      expect(res.status).toBe(400);
      expect(res.body.errors[0].extensions.code).toBe(code);
      expect(res.ms).toBeLessThan(500);
    });
  }

  it('names each cap below the document length for an anonymous caller', async () => {
    const tokens = await post(ctx.url, `{ serverInfo { ${'a '.repeat(1_100)} } }`);
    expect(tokens.body.errors[0].extensions).toMatchObject({ code: 'TOO_MANY_TOKENS', max: 1_000 });
    const directives = await post(ctx.url, manySkips(21));
    expect(directives.body.errors[0].extensions).toMatchObject({ code: 'TOO_MANY_DIRECTIVES', max: 20 });
    const fragments = await post(ctx.url, chainedFragments(10));
    expect(fragments.body.errors[0].extensions).toMatchObject({ code: 'TOO_MANY_FRAGMENTS', max: 10 });
    expect(fragments.status).toBe(400);
  });

  it('analyses nested spreads linearly for a member: 30 levels refused on cost in well under a second', async () => {
    for (const levels of [25, 30]) {
      const res = await post(ctx.url, nestedSpreads(levels), token);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'cost' });
      expect(res.ms).toBeLessThan(500);
    }
    // A member's larger caps still stop the 50,000 directives and 100,000 fields before validation.
    expect((await post(ctx.url, manySkips(50_000), token)).body.errors[0].extensions.code).toBe('QUERY_TOO_LARGE');
    expect((await post(ctx.url, duplicatedFields(100_000), token)).body.errors[0].extensions.code).toBe('QUERY_TOO_LARGE');
    const small = await post(ctx.url, nestedSpreads(3), token);
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();
  });

  it('refuses persisted queries (APQ is off) and subscriptions over HTTP with 400 and a clear code', async () => {
    const apqHashOnly = await post(ctx.url, undefined as unknown as string, undefined, {
      persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) },
    });
    expect(apqHashOnly.status).toBe(400);
    expect(apqHashOnly.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    const apqRegister = await post(ctx.url, '{ serverInfo { issuer } }', undefined, {
      persistedQuery: { version: 1, sha256Hash: 'b'.repeat(64) },
    });
    expect(apqRegister.status).toBe(400);
    expect(apqRegister.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    const subscription = await post(ctx.url, 'subscription { alertEvents { __typename } }', token);
    expect(subscription.status).toBe(400);
    expect(subscription.body.errors[0].extensions.code).toBe('SUBSCRIPTION_OVER_HTTP');
    for (const res of [apqHashOnly, apqRegister, subscription]) expect(JSON.stringify(res.body)).not.toMatch(/Apollo/i);
  });

  it("keeps a member's `me` and /healthz fast while anonymous callers send hostile documents", async () => {
    const hostile = shapes.map(([, make]) => make());
    const deadline = Date.now() + 10_000;
    let refused = 0;
    const attackers = Array.from({ length: 4 }, async (_, n) => {
      for (let i = n; Date.now() < deadline; i++) {
        const res = await post(ctx.url, hostile[i % hostile.length]);
        if (res.status === 400) refused++;
      }
    });
    const me: number[] = [];
    const health: number[] = [];
    const probe = (async () => {
      while (Date.now() < deadline) {
        const res = await post(ctx.url, '{ me { id } }', token);
        expect(res.status).toBe(200);
        me.push(res.ms);
        const started = performance.now();
        const h = await fetch(`${ctx.url}/healthz`);
        await h.text();
        expect(h.status).toBe(200);
        health.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await Promise.all([...attackers, probe]);
    const figures = {
      hostileRefused: refused,
      meSamples: me.length,
      meP50: Math.round(percentile(me, 50)),
      meP99: Math.round(percentile(me, 99)),
      healthzP50: Math.round(percentile(health, 50)),
      healthzP99: Math.round(percentile(health, 99)),
    };
    console.log('hostile-documents load (ms):', JSON.stringify(figures));
    expect(refused).toBeGreaterThan(50);
    expect(figures.meP99).toBeLessThan(1_000);
    expect(figures.healthzP99).toBeLessThan(1_000);
  }, 30_000);
});
