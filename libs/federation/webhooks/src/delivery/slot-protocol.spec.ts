import { describe, expect, it } from 'vitest';
import { slotWaitFallbackMs } from './slot-protocol.js';

describe('slotWaitFallbackMs', () => {
  it('looks again after about as long as it has waited, between 1 and 30 s, jittered by at most 20 %', () => {
    expect(slotWaitFallbackMs(0, () => 0.5)).toBe(1_000);
    expect(slotWaitFallbackMs(4_000, () => 0.5)).toBe(4_000);
    expect(slotWaitFallbackMs(4_000, () => 0)).toBe(3_200);
    expect(slotWaitFallbackMs(4_000, () => 0.9999999)).toBe(4_800);
    expect(slotWaitFallbackMs(3_600_000, () => 0.5)).toBe(30_000);
  });
});
