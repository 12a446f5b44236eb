import { describe, expect, it } from 'vitest';
import { keyEpochStatus, OprfKeyStatus } from './key-epoch-status.js';

const at = (iso: string) => new Date(iso);
const epoch = { notBefore: at('2027-01-01T00:00:00Z'), notAfter: at('2027-04-01T00:00:00Z'), retiredAt: null };

describe('keyEpochStatus', () => {
  it.each([
    ['2026-12-31T23:59:59Z', OprfKeyStatus.UPCOMING],
    ['2027-01-01T00:00:00Z', OprfKeyStatus.ACTIVE],
    ['2027-03-31T23:59:59Z', OprfKeyStatus.ACTIVE],
    ['2027-04-01T00:00:00Z', OprfKeyStatus.RETIRING],
    ['2027-04-30T23:59:59Z', OprfKeyStatus.RETIRING],
    ['2027-05-01T00:00:00Z', OprfKeyStatus.RETIRED],
  ])('at %s is %s (30 retiring days)', (now, status) => {
    expect(keyEpochStatus(epoch, 30, at(now))).toBe(status);
  });

  it('is RETIRED from the moment an operator retired it, whatever its window says', () => {
    const retired = { ...epoch, retiredAt: at('2027-02-01T00:00:00Z') };
    expect(keyEpochStatus(retired, 30, at('2027-01-31T00:00:00Z'))).toBe(OprfKeyStatus.ACTIVE);
    expect(keyEpochStatus(retired, 30, at('2027-02-01T00:00:00Z'))).toBe(OprfKeyStatus.RETIRED);
  });

  it('goes straight from ACTIVE to RETIRED with no retiring days', () => {
    expect(keyEpochStatus(epoch, 0, at('2027-04-01T00:00:00Z'))).toBe(OprfKeyStatus.RETIRED);
  });
});
