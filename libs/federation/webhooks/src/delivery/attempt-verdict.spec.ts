import { describe, expect, it } from 'vitest';
import { judgeAttempt } from './attempt-verdict.js';

const schedule = [0, 1_000, 1_000];
const now = 1_000_000;

describe('judgeAttempt', () => {
  it('succeeds on 2xx only', () => {
    expect(judgeAttempt({ statusCode: 204, latencyMs: 1 }, 1, schedule, now)).toEqual({ kind: 'succeeded' });
    expect(judgeAttempt({ statusCode: 299, latencyMs: 1 }, 1, schedule, now).kind).toBe('succeeded');
    expect(judgeAttempt({ statusCode: 199, latencyMs: 1 }, 1, schedule, now).kind).toBe('retry');
  });

  it('fails and disables on 410, whatever attempts remain', () => {
    expect(judgeAttempt({ statusCode: 410, latencyMs: 1 }, 1, schedule, now)).toMatchObject({
      kind: 'failed',
      disable: expect.stringContaining('410'),
    });
  });

  it('retries 3xx, 5xx and errors on the schedule, then fails', () => {
    const redirect = judgeAttempt({ statusCode: 302, latencyMs: 1 }, 1, schedule, now);
    expect(redirect).toMatchObject({ kind: 'retry', reason: 'answered 302 (redirects are not followed)' });
    const retry = judgeAttempt({ error: 'ECONNRESET: socket hang up', latencyMs: 1 }, 1, schedule, now);
    expect(retry.kind === 'retry' && retry.at - now).toBeGreaterThanOrEqual(800);
    expect(judgeAttempt({ statusCode: 500, latencyMs: 1 }, 3, schedule, now)).toMatchObject({
      kind: 'failed',
      reason: 'answered 500; no attempts left',
    });
  });

  it('waits for Retry-After on 429 and 503 only', () => {
    expect(judgeAttempt({ statusCode: 429, retryAfter: '30', latencyMs: 1 }, 1, schedule, now)).toMatchObject({
      kind: 'retry',
      at: now + 30_000,
    });
    expect(judgeAttempt({ statusCode: 503, retryAfter: '5', latencyMs: 1 }, 1, schedule, now)).toMatchObject({
      kind: 'retry',
      at: now + 5_000,
    });
    const ignored = judgeAttempt({ statusCode: 500, retryAfter: '30', latencyMs: 1 }, 1, schedule, now);
    expect(ignored.kind === 'retry' && ignored.at - now).toBeLessThanOrEqual(1_200);
  });
});
