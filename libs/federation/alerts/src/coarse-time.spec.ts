import { describe, expect, it } from 'vitest';
import { toHour } from './coarse-time.js';

describe('toHour', () => {
  it.each([
    ['2026-12-01T11:42:05.789Z', '2026-12-01T11:00:00.000Z'],
    ['2026-12-01T11:00:00.000Z', '2026-12-01T11:00:00.000Z'],
    ['2026-12-01T23:59:59.999Z', '2026-12-01T23:00:00.000Z'],
    ['1969-12-31T23:30:00.000Z', '1969-12-31T23:00:00.000Z'],
  ])('%s -> %s', (time, hour) => {
    expect(toHour(new Date(time)).toISOString()).toBe(hour);
  });
});
