import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FederationKeyError } from './errors.js';
import { TEST_FEDERATION_KEY_HEX, deriveToken, isValidKeyEpoch, isValidToken, parseFederationKey } from './federation-key.js';

const TEST_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);

describe('parseFederationKey', () => {
  it('publishes the test key as the bytes 0x00..0x1f', () => {
    expect(parseFederationKey(TEST_FEDERATION_KEY_HEX)).toEqual(TEST_KEY);
  });

  it('reads hex in either case and base64 or base64url with or without padding', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i * 3);
    const buffer = Buffer.from(key);
    for (const text of [
      buffer.toString('hex'),
      buffer.toString('hex').toUpperCase(),
      buffer.toString('base64'),
      buffer.toString('base64url'),
      buffer.toString('base64').replace(/=+$/, ''),
      `  ${buffer.toString('base64url')}\n`,
    ]) {
      expect(parseFederationKey(text)).toEqual(key);
    }
  });

  it('reads text that is both valid hex and valid base64 as hex', () => {
    expect(parseFederationKey('ab'.repeat(32))).toEqual(new Uint8Array(32).fill(0xab));
  });

  it('accepts keys longer than 32 bytes', () => {
    expect(parseFederationKey('ab'.repeat(64))).toHaveLength(64);
  });

  it('refuses short keys and malformed text', () => {
    expect(() => parseFederationKey('00'.repeat(31))).toThrow(FederationKeyError);
    expect(() => parseFederationKey(Buffer.alloc(31).toString('base64url'))).toThrow(/at least 32 bytes/);
    expect(() => parseFederationKey('')).toThrow(FederationKeyError);
    expect(() => parseFederationKey(`${'00'.repeat(32)}!!`)).toThrow(FederationKeyError);
    expect(() => parseFederationKey('not a key at all, not a key at all, not a key')).toThrow(FederationKeyError);
    expect(() => parseFederationKey(`${'A'.repeat(45)}`)).toThrow(FederationKeyError);
  });
});

describe('deriveToken', () => {
  it('is HMAC-SHA256 over the UTF-8 canonical string, in lowercase hex', () => {
    for (const canonical of ['pf:pan:v1|4111111111111111', 'tpl:v1:ça <num>', 'acct:v1:😀']) {
      const expected = createHmac('sha256', Buffer.from(TEST_KEY)).update(Buffer.from(canonical, 'utf8')).digest('hex');
      expect(deriveToken(TEST_KEY, canonical)).toBe(expected);
      expect(deriveToken(TEST_FEDERATION_KEY_HEX, canonical)).toBe(expected);
      expect(isValidToken(expected)).toBe(true);
    }
  });

  it('matches tokens computed outside Node with `openssl dgst -sha256 -mac HMAC -macopt hexkey:<test key>`', () => {
    expect(deriveToken(TEST_KEY, 'pf:pan:v1|4111111111111111')).toBe('8666b1898a3f1229c1e3e0b2ded5926e99c1c67abcbab795459e1e32b633a5d6');
    expect(deriveToken(TEST_KEY, 'ip4:203.0.113.0/24')).toBe('be74cf44de479e8b11b7d49eb126bb67a937fa9fcf38192bfc715496844ff857');
    expect(deriveToken(TEST_KEY, 'acct:v1:example.com')).toBe('f10418d6ff3462999170de699be3d8f3668d368709a10d72e197d39011a45c13');
  });

  it('refuses raw values and short keys', () => {
    expect(() => deriveToken(TEST_KEY, '203.0.113.7')).toThrow(TypeError);
    expect(() => deriveToken(TEST_KEY.subarray(0, 16), 'ip4:203.0.113.0/24')).toThrow(FederationKeyError);
  });
});

describe('isValidKeyEpoch', () => {
  it.each(['2026-q4', '2026.10', 'a', 'epoch_1', 'x'.repeat(32), '0'])('accepts %j', (epoch) => {
    expect(isValidKeyEpoch(epoch)).toBe(true);
  });

  it.each(['', '-2026', '.hidden', '2026-Q4', 'x'.repeat(33), '2026 q4', '2026/q4', 'é', '2026-q4\n'])('refuses %j', (epoch) => {
    expect(isValidKeyEpoch(epoch)).toBe(false);
  });
});

describe('isValidToken', () => {
  it('accepts only 64 lowercase hex characters', () => {
    expect(isValidToken('a'.repeat(64))).toBe(true);
    expect(isValidToken('A'.repeat(64))).toBe(false);
    expect(isValidToken('a'.repeat(63))).toBe(false);
    expect(isValidToken(`${'a'.repeat(64)}\n`)).toBe(false);
  });
});
