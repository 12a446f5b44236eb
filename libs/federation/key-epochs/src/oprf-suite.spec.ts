import { ristretto255 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { invalidElements } from './oprf-evaluation.worker.js';
import { fromBase64Url, oprfInfo, toBase64Url } from './oprf-suite.js';

describe('element encoding', () => {
  const element = ristretto255.Point.BASE.toBytes();
  const text = toBase64Url(element);

  it('is unpadded base64url of the 32 bytes, and reads back', () => {
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fromBase64Url(text, 32)).toEqual(element);
  });

  it.each([
    ['padded', `${text}=`],
    ['standard base64', text.replace(/_/g, '/').replace(/-/g, '+').replace(/^./, '+')],
    ['too short', text.slice(0, 42)],
    ['too long', `${text}A`],
    ['a non-canonical last character', `${text.slice(0, 42)}${String.fromCharCode(text.charCodeAt(42) + 1)}`],
    ['empty', ''],
  ])('refuses %s', (_name, bad) => {
    expect(fromBase64Url(bad, 32)).toBeUndefined();
  });
});

describe('invalidElements', () => {
  it('names the identity and non-encodings by index, and passes valid points', () => {
    const valid = ristretto255.Point.BASE.multiply(7n).toBytes();
    const identity = ristretto255.Point.ZERO.toBytes();
    const notCanonical = new Uint8Array(32).fill(0xff);
    expect(invalidElements([valid, identity, valid, notCanonical])).toEqual([
      { index: 1, reason: 'identity' },
      { index: 3, reason: 'encoding' },
    ]);
  });
});

describe('oprfInfo', () => {
  it('is sigfed:v1:<type>:<epoch>', () => {
    expect(oprfInfo('IP_RANGE', '2027-q1')).toBe('sigfed:v1:IP_RANGE:2027-q1');
  });
});
