import { buildSchema, type GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { PreparedOperation } from '@app/alert-stream';
import { DEFAULT_DOCUMENT_LIMITS } from './document-limits.js';
import { DEFAULT_QUERY_LIMITS } from './query-limits.js';
import { WebSocketOperations, type WebSocketRules } from './websocket-operations.js';

const schema = buildSchema(`
  type Event { type: String!, n: Int! }
  type Query { me: String }
  type Mutation { act: Int }
  type Subscription { events: Event! }
`);

function operations(rules: Partial<WebSocketRules> = {}): WebSocketOperations {
  const ops = new WebSocketOperations({
    document: DEFAULT_DOCUMENT_LIMITS.authenticated,
    limits: DEFAULT_QUERY_LIMITS,
    introspection: false,
    hideSuggestions: true,
    ...rules,
  });
  ops.useSchema(schema);
  return ops;
}

const errorsOf = (result: PreparedOperation | GraphQLError[]) => (Array.isArray(result) ? result.map((e) => e.toJSON()) : []);

describe('WebSocketOperations', () => {
  it('prepares a subscription with its cost', () => {
    const result = operations().prepare({ query: 'subscription { events { type n } }' });
    expect(Array.isArray(result)).toBe(false);
    expect((result as PreparedOperation).cost).toBe(3);
  });

  it('refuses queries and mutations, also when a subscription sits beside them', () => {
    for (const [query, operationName] of [['{ me }'], ['mutation { act }'], ['subscription S { events { n } } query Q { me }', 'Q']]) {
      const [error] = errorsOf(operations().prepare({ query: query!, operationName }));
      expect(error.extensions?.code).toBe('OPERATION_NOT_ALLOWED_OVER_WEBSOCKET');
    }
  });

  it('refuses introspection where it is off, and strips suggestions where they are hidden', () => {
    expect(errorsOf(operations().prepare({ query: '{ __schema { types { name } } }' }))[0].message).toMatch(/introspection/);
    expect(errorsOf(operations({ introspection: true }).prepare({ query: '{ __schema { types { name } } }' }))[0].extensions?.code).toBe(
      'OPERATION_NOT_ALLOWED_OVER_WEBSOCKET',
    );
    const [hidden] = errorsOf(operations().prepare({ query: 'subscription { event { n } }' }));
    expect(hidden).toMatchObject({
      message: 'Cannot query field "event" on type "Subscription".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(errorsOf(operations({ hideSuggestions: false }).prepare({ query: 'subscription { event { n } }' }))[0].message).toMatch(
      /Did you mean/,
    );
  });

  it('applies the document caps and query limits, without the HTTP status in extensions', () => {
    const [tooLong] = errorsOf(operations().prepare({ query: `subscription { events { n } } # ${'x'.repeat(100_000)}` }));
    expect(tooLong.extensions).toEqual({ code: 'QUERY_TOO_LARGE', max: 100_000, actual: expect.any(Number) });
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: n`).join(' ');
    const [over] = errorsOf(operations().prepare({ query: `subscription { events { ${aliases} } }` }));
    expect(over.extensions).toEqual({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'aliases', max: 30, actual: 31 });
    expect(errorsOf(operations().prepare({ query: 'subscription {' }))[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('refuses everything until it has the schema', () => {
    const ops = new WebSocketOperations({
      document: DEFAULT_DOCUMENT_LIMITS.authenticated,
      limits: DEFAULT_QUERY_LIMITS,
      introspection: false,
      hideSuggestions: true,
    });
    expect(errorsOf(ops.prepare({ query: 'subscription { events { n } }' }))[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
  });
});
