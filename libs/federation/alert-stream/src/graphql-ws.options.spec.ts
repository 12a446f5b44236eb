import { describe, expect, it } from 'vitest';
import { bearerFromConnectionParams } from './graphql-ws.options.js';

describe('bearerFromConnectionParams', () => {
  it('takes the token from authorization (any case) or token', () => {
    expect(bearerFromConnectionParams({ authorization: 'Bearer abc.def.ghi' })).toBe('Bearer abc.def.ghi');
    expect(bearerFromConnectionParams({ Authorization: 'bearer abc' })).toBe('bearer abc');
    expect(bearerFromConnectionParams({ token: 'abc' })).toBe('Bearer abc');
  });

  it('finds nothing in an empty, malformed or oversized payload', () => {
    expect(bearerFromConnectionParams(undefined)).toBeUndefined();
    expect(bearerFromConnectionParams({})).toBeUndefined();
    expect(bearerFromConnectionParams({ authorization: 'Basic abc' })).toBeUndefined();
    expect(bearerFromConnectionParams({ authorization: 42 })).toBeUndefined();
    expect(bearerFromConnectionParams({ token: 'x'.repeat(9_000) })).toBeUndefined();
  });
});
