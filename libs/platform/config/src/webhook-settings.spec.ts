import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { parseCidrList, parseDurationList } from './webhook-settings.js';

describe('webhook settings', () => {
  it('defaults to the Standard Webhooks schedule: immediately, then 5 s to 10 h, about a day in all', () => {
    const { webhooks } = loadConfig({});
    expect(webhooks.retryScheduleMs).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(webhooks.retryScheduleMs.reduce((a, b) => a + b) / 3_600_000).toBeCloseTo(27.6, 1);
    expect(webhooks).toMatchObject({ timeoutMs: 15_000, disableAfterSeconds: 432_000, allowHttp: false, allowedCidrs: [] });
  });

  it('parses durations with units, bare numbers as seconds', () => {
    expect(parseDurationList('0, 150ms,2,1.5s,3m,1h,1d')).toEqual([0, 150, 2_000, 1_500, 180_000, 3_600_000, 86_400_000]);
    expect(parseDurationList('5x')).toBeUndefined();
  });

  it('normalizes CIDRs and single addresses, and names a bad one', () => {
    expect(parseCidrList('10.0.0.0/8, ::1 ,127.0.0.1')).toEqual({ cidrs: ['10.0.0.0/8', '::1/128', '127.0.0.1/32'] });
    expect(parseCidrList('10.0.0.0/40')).toEqual({ bad: '10.0.0.0/40' });
    expect(() => loadConfig({ WEBHOOK_ALLOWED_CIDRS: '10.0.0.0/8,300.1.1.1' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: 'soon' })).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
  });
});
