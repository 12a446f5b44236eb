import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_SIGNAL_MAX_CODE_POINTS, canonicalizeAccountSignal } from './account-signal.js';
import { CanonicalizationError } from './errors.js';

const PREFIX = 'acct:v1:';
const body = (text: string): string => canonicalizeAccountSignal(text).canonical.slice(PREFIX.length);

function refusedBy(text: string): string {
  try {
    canonicalizeAccountSignal(text);
  } catch (error) {
    expect(error).toBeInstanceOf(CanonicalizationError);
    expect((error as CanonicalizationError).type).toBe('ACCOUNT_SIGNAL');
    expect((error as CanonicalizationError).message).toContain((error as CanonicalizationError).rule);
    return (error as CanonicalizationError).rule;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('canonicalizeAccountSignal', () => {
  it('trims, folds case and look-alikes, and drops invisible characters', () => {
    expect(canonicalizeAccountSignal('  Mail.Example.COM\n')).toEqual({ kind: 'account', canonical: 'acct:v1:mail.example.com' });
    expect(body('ｍａｉｌ．ｅｘａｍｐｌｅ．ｃｏｍ')).toBe('mail.example.com');
    expect(body('\ufeffmail.exam\u200bple.com\u00ad')).toBe('mail.example.com');
    expect(body('ﬁngerprint-ABC')).toBe('fingerprint-abc');
    expect(body('device  id\u00a0\u00a042')).toBe('device id 42');
    expect(body('İ')).toBe('i\u0307');
    expect(body('ı')).toBe('ı');
  });

  it('keeps numbers and punctuation: an account signal is opaque, not a template', () => {
    expect(body('Device:"AB-12"')).toBe('device:"ab-12"');
  });

  it('refuses empty values and unpaired surrogates', () => {
    expect(refusedBy('')).toBe('acct.empty');
    expect(refusedBy(' \u200b\t ')).toBe('acct.empty');
    expect(refusedBy('x\udfff')).toBe('text.unpaired-surrogate');
  });

  it('caps the canonical form at 1024 code points, counting astral characters once', () => {
    expect(body('a'.repeat(ACCOUNT_SIGNAL_MAX_CODE_POINTS))).toHaveLength(ACCOUNT_SIGNAL_MAX_CODE_POINTS);
    expect(body('😀'.repeat(ACCOUNT_SIGNAL_MAX_CODE_POINTS))).toHaveLength(2 * ACCOUNT_SIGNAL_MAX_CODE_POINTS);
    expect(refusedBy('a'.repeat(ACCOUNT_SIGNAL_MAX_CODE_POINTS + 1))).toBe('acct.too-long');
    // NFKC can lengthen text: U+FDFA alone expands to 18 code points.
    expect(refusedBy('\ufdfa'.repeat(60))).toBe('acct.too-long');
    expect(refusedBy(' '.repeat(70_000))).toBe('acct.too-long');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), (text) => {
        let once: string;
        try {
          once = body(text);
        } catch (error) {
          expect(error).toBeInstanceOf(CanonicalizationError);
          return;
        }
        expect(body(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });
});
