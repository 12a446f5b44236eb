import { MAX_RETRY_AFTER_MS, RETRY_JITTER } from '../webhooks.constants.js';

/**
 * The delay before the next attempt once `attemptsDone` attempts failed, or
 * undefined when the schedule is used up. `scheduleMs[0]` is the delay of
 * the first attempt; every later entry is jittered by ±RETRY_JITTER.
 */
export function nextRetryDelay(
  scheduleMs: readonly number[],
  attemptsDone: number,
  random: () => number = Math.random,
): number | undefined {
  if (attemptsDone >= scheduleMs.length) return undefined;
  const base = scheduleMs[attemptsDone];
  return Math.max(0, Math.round(base * (1 + RETRY_JITTER * (2 * random() - 1))));
}

/**
 * A Retry-After header (delta-seconds or an HTTP date) as milliseconds from
 * `now`, capped at MAX_RETRY_AFTER_MS; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
