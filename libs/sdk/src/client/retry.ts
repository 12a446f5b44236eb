import { setTimeout as sleep } from 'node:timers/promises';
import { SigfedApiError, SigfedNetworkError } from './errors.js';

/** How often and how patiently transient failures (network, 5xx, 429, RATE_LIMITED) are retried. */
export interface RetryPolicy {
  /** Tries in all, the first one included; 1 disables retries. */
  readonly attempts: number;
  /** Backoff before the second try; it doubles for each further try (with jitter). */
  readonly baseDelayMs: number;
  /** Longest backoff. A Retry-After longer than this ends the retries instead of stalling for it. */
  readonly maxDelayMs: number;
}

/** Defaults: 5 tries over roughly 7.5 s of backoff. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 });

// GraphQL servers answer resolver errors with HTTP 200, so a transient failure can arrive as
// an error code rather than as a status.
const RETRYABLE_CODES = new Set(['RATE_LIMITED', 'INTERNAL_SERVER_ERROR']);

/** Fills in a partial policy and checks it, so a typo fails at construction rather than mid-upload. */
export function retryPolicy(partial: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...partial };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) throw new RangeError('retry.attempts must be an integer >= 1');
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= policy.baseDelayMs)) {
    throw new RangeError('retry delays must satisfy 0 <= baseDelayMs <= maxDelayMs');
  }
  return Object.freeze(policy);
}

/** Whether an error is worth another try: a network failure, 5xx, 429, or a transient GraphQL code. */
export function isTransient(error: unknown): boolean {
  if (error instanceof SigfedNetworkError) return true;
  if (!(error instanceof SigfedApiError)) return false;
  // Invalid input stays invalid however often it is sent.
  if (error.hasCode('BAD_USER_INPUT')) return false;
  if (error.status !== undefined && (error.status === 429 || error.status >= 500)) return true;
  return error.errors.length > 0 && error.errors.every((e) => RETRYABLE_CODES.has(e.extensions?.code ?? ''));
}

/**
 * Milliseconds to wait before try `attempt + 1`, or undefined to give up. Backoff is exponential
 * with "equal jitter" (half fixed, half random) so that many clients failing together do not
 * come back together; a Retry-After from the server is a lower bound.
 */
export function retryDelay(error: unknown, attempt: number, policy: RetryPolicy, random = Math.random): number | undefined {
  if (attempt >= policy.attempts || !isTransient(error)) return undefined;
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = backoff / 2 + (backoff / 2) * random();
  const asked = error instanceof SigfedApiError ? error.retryAfterMs : undefined;
  if (asked === undefined) return jittered;
  if (asked > policy.maxDelayMs) return undefined;
  return Math.max(asked, jittered);
}

/** Parses a Retry-After header (delay in seconds, or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Runs `task` until it succeeds, the error is not transient, or the policy's tries are used up. */
export async function withRetry<T>(policy: RetryPolicy, task: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      const delay = retryDelay(error, attempt, policy);
      if (delay === undefined) throw error;
      await sleep(delay);
    }
  }
}
