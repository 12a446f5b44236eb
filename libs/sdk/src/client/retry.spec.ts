import { describe, expect, it } from 'vitest';
import { SigfedApiError, SigfedNetworkError } from './errors.js';
import { isTransient, parseRetryAfter, retryDelay, retryPolicy } from './retry.js';

const policy = retryPolicy({ attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 });
const gql = (code: string, status = 200, retryAfterMs?: number) =>
  new SigfedApiError(code, [{ message: code, extensions: { code } }], status, retryAfterMs);

describe('retry policy', () => {
  it('treats network failures, 5xx, 429 and transient GraphQL codes as worth another try', () => {
    expect(isTransient(new SigfedNetworkError('reset'))).toBe(true);
    expect(isTransient(new SigfedApiError('bad gateway', [], 502))).toBe(true);
    expect(isTransient(new SigfedApiError('slow down', [], 429))).toBe(true);
    expect(isTransient(gql('RATE_LIMITED'))).toBe(true);
    expect(isTransient(gql('INTERNAL_SERVER_ERROR'))).toBe(true);
  });

  it('never retries invalid input, other client errors or unknown exceptions', () => {
    expect(isTransient(gql('BAD_USER_INPUT'))).toBe(false);
    expect(isTransient(gql('BAD_USER_INPUT', 503))).toBe(false);
    expect(isTransient(gql('CONFLICT'))).toBe(false);
    expect(isTransient(gql('FORBIDDEN'))).toBe(false);
    expect(isTransient(new SigfedApiError('too large', [], 413))).toBe(false);
    expect(isTransient(new TypeError('bug'))).toBe(false);
  });

  it('backs off exponentially with jitter, capped, and stops after the last attempt', () => {
    const error = new SigfedNetworkError('reset');
    expect(retryDelay(error, 1, policy, () => 0)).toBe(50);
    expect(retryDelay(error, 1, policy, () => 1)).toBe(100);
    expect(retryDelay(error, 3, policy, () => 1)).toBe(400);
    expect(retryDelay(error, 3, retryPolicy({ attempts: 10, baseDelayMs: 100, maxDelayMs: 300 }), () => 1)).toBe(300);
    expect(retryDelay(error, 4, policy)).toBeUndefined();
  });

  it('waits at least as long as Retry-After asks, and gives up when it asks for longer than maxDelayMs', () => {
    expect(retryDelay(gql('RATE_LIMITED', 429, 700), 1, policy, () => 0)).toBe(700);
    expect(retryDelay(gql('RATE_LIMITED', 429, 10), 2, policy, () => 1)).toBe(200);
    expect(retryDelay(gql('RATE_LIMITED', 429, 5000), 1, policy)).toBeUndefined();
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('refuses a nonsensical policy when the client is built', () => {
    expect(() => retryPolicy({ attempts: 0 })).toThrow(RangeError);
    expect(() => retryPolicy({ baseDelayMs: 100, maxDelayMs: 10 })).toThrow(RangeError);
  });
});
