import { describe, expect, it } from 'vitest';
import { nextRetryDelay, parseRetryAfter } from './retry-schedule.js';

describe('nextRetryDelay', () => {
  const schedule = [0, 5_000, 300_000];

  it('follows the schedule, jittered by at most 20 % either way, and ends with it', () => {
    expect(nextRetryDelay(schedule, 0, () => 0.5)).toBe(0);
    expect(nextRetryDelay(schedule, 1, () => 0.5)).toBe(5_000);
    expect(nextRetryDelay(schedule, 1, () => 0)).toBe(4_000);
    expect(nextRetryDelay(schedule, 1, () => 0.9999999)).toBe(6_000);
    expect(nextRetryDelay(schedule, 2, () => 0.5)).toBe(300_000);
    expect(nextRetryDelay(schedule, 3)).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  it('reads seconds and HTTP dates, caps at a day, and ignores nonsense', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('9999999', now)).toBe(86_400_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
