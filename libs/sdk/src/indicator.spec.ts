import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalizationError } from './errors.js';
import { TEST_FEDERATION_KEY_HEX, deriveToken } from './federation-key.js';
import { canonicalForms, canonicalize, hashIndicator } from './indicator.js';
import { CANONICAL_PREFIXES, INDICATOR_TYPES, KIND_TYPES, isIndicatorType, kindOfCanonical, type IndicatorKind } from './types.js';

describe('canonicalize', () => {
  it('dispatches on the indicator type', () => {
    expect(canonicalize('IP_RANGE', '203.0.112.0/23')).toEqual(['ip4:203.0.112.0/24', 'ip4:203.0.113.0/24']);
    expect(canonicalize('PAYMENT_FINGERPRINT', '411111|1111|12/27')).toEqual(['pf:bin-last4-exp:v1|411111|1111|12/2027']);
    expect(canonicalize('PAYMENT_FINGERPRINT', { pan: '4111111111111111' })).toEqual(['pf:pan:v1|4111111111111111']);
    expect(canonicalize('PROMPT_TEMPLATE', 'Say "hi" 3 times')).toEqual(['tpl:v1:say <str> <num> times']);
    expect(canonicalize('ACCOUNT_SIGNAL', 'Example.COM')).toEqual(['acct:v1:example.com']);
  });

  it('refuses a structured value for types that take a string', () => {
    for (const type of ['IP_RANGE', 'PROMPT_TEMPLATE', 'ACCOUNT_SIGNAL'] as const) {
      expect(() => canonicalize(type, { pan: '4111111111111111' })).toThrow(CanonicalizationError);
      try {
        canonicalize(type, { pan: '4111111111111111' });
      } catch (error) {
        expect((error as CanonicalizationError).rule).toBe('input.not-string');
        expect((error as CanonicalizationError).type).toBe(type);
      }
    }
  });

  it('refuses unknown types loudly', () => {
    expect(() => canonicalize('EMAIL' as never, 'x')).toThrow(TypeError);
  });

  it('keeps types apart: the same text never yields the same canonical string under two types', () => {
    // "1.2.3.4" is valid for three types at once.
    const all = ['IP_RANGE', 'PROMPT_TEMPLATE', 'ACCOUNT_SIGNAL'].flatMap((type) => canonicalize(type as 'IP_RANGE', '1.2.3.4'));
    expect(new Set(all).size).toBe(all.length);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }), (text) => {
        const seen = new Map<string, string>();
        for (const type of INDICATOR_TYPES) {
          let forms: string[] = [];
          try {
            forms = canonicalize(type, text);
          } catch {
            continue;
          }
          for (const canonical of forms) {
            expect(seen.get(canonical) ?? type).toBe(type);
            seen.set(canonical, type);
          }
        }
      }),
    );
  });

  it('labels every canonical string with a kind whose prefix it carries', () => {
    const forms = [
      ...canonicalForms('PAYMENT_FINGERPRINT', '4111111111111111|12/27'),
      ...canonicalForms('IP_RANGE', '10.0.0.0/24'),
      ...canonicalForms('IP_RANGE', '2001:db8::/48'),
      ...canonicalForms('PROMPT_TEMPLATE', 'x'),
      ...canonicalForms('ACCOUNT_SIGNAL', 'x'),
    ];
    expect(new Set(forms.map((form) => form.kind))).toEqual(new Set(Object.keys(CANONICAL_PREFIXES)));
    for (const { kind, canonical } of forms) {
      expect(canonical.startsWith(CANONICAL_PREFIXES[kind])).toBe(true);
      expect(kindOfCanonical(canonical)).toBe(kind);
    }
  });

  it('has prefixes no one of which starts another, so kinds can never collide', () => {
    const prefixes = Object.values(CANONICAL_PREFIXES);
    for (const a of prefixes) for (const b of prefixes) if (a !== b) expect(b.startsWith(a)).toBe(false);
    for (const kind of Object.keys(KIND_TYPES) as IndicatorKind[]) expect(INDICATOR_TYPES).toContain(KIND_TYPES[kind]);
  });
});

describe('hashIndicator', () => {
  it('returns type, kind, canonical string and token for every canonical form', () => {
    const hashed = hashIndicator(TEST_FEDERATION_KEY_HEX, 'PAYMENT_FINGERPRINT', '4111 1111 1111 1111|12/27');
    expect(hashed).toEqual([
      {
        type: 'PAYMENT_FINGERPRINT',
        kind: 'pan',
        canonical: 'pf:pan:v1|4111111111111111',
        token: '8666b1898a3f1229c1e3e0b2ded5926e99c1c67abcbab795459e1e32b633a5d6',
      },
      {
        type: 'PAYMENT_FINGERPRINT',
        kind: 'bin-last4-exp',
        canonical: 'pf:bin-last4-exp:v1|411111|1111|12/2027',
        token: deriveToken(TEST_FEDERATION_KEY_HEX, 'pf:bin-last4-exp:v1|411111|1111|12/2027'),
      },
    ]);
  });

  it('derives different tokens under different keys', () => {
    const other = 'ff'.repeat(32);
    const [a] = hashIndicator(TEST_FEDERATION_KEY_HEX, 'ACCOUNT_SIGNAL', 'x');
    const [b] = hashIndicator(other, 'ACCOUNT_SIGNAL', 'x');
    expect(a.canonical).toBe(b.canonical);
    expect(a.token).not.toBe(b.token);
  });
});

describe('isIndicatorType', () => {
  it('narrows untrusted strings', () => {
    expect(INDICATOR_TYPES.every(isIndicatorType)).toBe(true);
    expect(isIndicatorType('ip_range')).toBe(false);
    expect(isIndicatorType('toString')).toBe(false);
  });
});
