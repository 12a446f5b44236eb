import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalizationError } from './errors.js';
import { canonicalizePaymentCard, isLuhnValid, parsePaymentInput } from './payment.js';
import { CANONICAL_PREFIXES, type PaymentCardInput } from './types.js';

const VISA = '4111111111111111';
const canonical = (value: string | PaymentCardInput): string[] => canonicalizePaymentCard(value).map((form) => form.canonical);

function refusedBy(value: string | PaymentCardInput): string {
  try {
    canonicalizePaymentCard(value);
  } catch (error) {
    expect(error).toBeInstanceOf(CanonicalizationError);
    expect((error as CanonicalizationError).type).toBe('PAYMENT_FINGERPRINT');
    expect((error as CanonicalizationError).message).toContain((error as CanonicalizationError).rule);
    return (error as CanonicalizationError).rule;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be refused`);
}

function withCheckDigit(payload: string): string {
  for (let digit = 0; digit <= 9; digit++) {
    if (isLuhnValid(payload + digit)) return payload + digit;
  }
  throw new Error('unreachable: one check digit always fits');
}

const digits = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((list) => list.join(''));
const validPan = digits(11, 18).map(withCheckDigit);
// Separators a human or a spreadsheet might put inside a number.
const sprinkle = (value: string) =>
  fc
    .array(fc.constantFrom('', '', '', ' ', '-', '\u00a0', '\u2013'), { minLength: value.length, maxLength: value.length })
    .map((separators) => [...value].map((digit, i) => digit + separators[i]).join(''));
const month = fc.integer({ min: 1, max: 12 });
const year = fc.integer({ min: 2000, max: 2099 });

describe('canonicalizePaymentCard: full card numbers', () => {
  it('strips spaces and dashes and reads full-width digits', () => {
    for (const input of ['4111 1111 1111 1111', '4111-1111-1111-1111', ' 4111 - 1111 - 1111 - 1111 ', '４１１１１１１１１１１１１１１１']) {
      expect(canonical(input)).toEqual([`pf:pan:v1|${VISA}`]);
    }
  });

  it('adds a BIN/last-4/expiry form when the expiry is known, so PAN holders match BIN holders', () => {
    expect(canonicalizePaymentCard({ pan: VISA, expMonth: 3, expYear: 27 })).toEqual([
      { kind: 'pan', canonical: `pf:pan:v1|${VISA}` },
      { kind: 'bin-last4-exp', canonical: 'pf:bin-last4-exp:v1|411111|1111|03/2027' },
    ]);
    expect(canonical(`${VISA}|03/27`)[1]).toBe(canonical('41111111|1111|3/2027')[0]);
  });

  it('refuses a Luhn-invalid number rather than hash a typo', () => {
    expect(refusedBy('4111 1111 1111 1112')).toBe('pf.pan-luhn');
  });

  it('refuses numbers of the wrong length or with other characters', () => {
    expect(refusedBy('41111111118')).toBe('pf.pan-length');
    expect(refusedBy('41111111111111111113')).toBe('pf.pan-length');
    expect(refusedBy('4111.1111.1111.1111')).toBe('pf.pan-syntax');
    expect(refusedBy('4111 1111 1111 111O')).toBe('pf.pan-syntax');
    expect(refusedBy('')).toBe('pf.pan-syntax');
  });

  it('refuses half an expiry', () => {
    expect(refusedBy({ pan: VISA, expMonth: 12 })).toBe('pf.expiry');
  });
});

describe('canonicalizePaymentCard: BIN, last 4 and expiry', () => {
  it('keeps only the first 6 digits of a 6, 7 or 8 digit BIN', () => {
    const expected = ['pf:bin-last4-exp:v1|411111|1111|12/2027'];
    expect(canonical({ bin: '411111', last4: '1111', expMonth: 12, expYear: 2027 })).toEqual(expected);
    expect(canonical({ bin: '4111112', last4: '1111', expMonth: 12, expYear: 2027 })).toEqual(expected);
    expect(canonical({ bin: '4111 1123', last4: '1111', expMonth: 12, expYear: 2027 })).toEqual(expected);
  });

  it('reads two-digit years as 20YY and pads months to two digits', () => {
    const expected = ['pf:bin-last4-exp:v1|411111|1111|01/2027'];
    for (const [expMonth, expYear] of [
      [1, 27],
      ['1', '27'],
      ['01', '2027'],
      [1, 2027],
      [' 01 ', ' 27 '],
    ] as const) {
      expect(canonical({ bin: '411111', last4: '1111', expMonth, expYear })).toEqual(expected);
    }
    expect(canonical({ bin: '411111', last4: '1111', expMonth: 1, expYear: 0 })).toEqual(['pf:bin-last4-exp:v1|411111|1111|01/2000']);
  });

  it.each([
    [{ bin: '41111', last4: '1111', expMonth: 1, expYear: 27 }, 'pf.bin'],
    [{ bin: '411111111', last4: '1111', expMonth: 1, expYear: 27 }, 'pf.bin'],
    [{ bin: '4111x1', last4: '1111', expMonth: 1, expYear: 27 }, 'pf.bin'],
    [{ bin: '411111', last4: '111', expMonth: 1, expYear: 27 }, 'pf.last4'],
    [{ bin: '411111', last4: '11111', expMonth: 1, expYear: 27 }, 'pf.last4'],
    [{ bin: '411111', last4: '1111', expMonth: 0, expYear: 27 }, 'pf.exp-month'],
    [{ bin: '411111', last4: '1111', expMonth: 13, expYear: 27 }, 'pf.exp-month'],
    [{ bin: '411111', last4: '1111', expMonth: '1.5', expYear: 27 }, 'pf.exp-month'],
    [{ bin: '411111', last4: '1111', expMonth: 1, expYear: 1999 }, 'pf.exp-year'],
    [{ bin: '411111', last4: '1111', expMonth: 1, expYear: 2100 }, 'pf.exp-year'],
    [{ bin: '411111', last4: '1111', expMonth: 1, expYear: '027' }, 'pf.exp-year'],
    [{ bin: '411111', last4: '1111', expMonth: 1, expYear: 2027.5 }, 'pf.exp-year'],
  ])('refuses %j by rule %s', (input, rule) => {
    expect(refusedBy(input)).toBe(rule);
  });

  it('refuses objects of the wrong shape', () => {
    expect(refusedBy({} as PaymentCardInput)).toBe('pf.input');
    expect(refusedBy({ bin: '411111' } as PaymentCardInput)).toBe('pf.input');
    expect(refusedBy(null as unknown as PaymentCardInput)).toBe('pf.input');
  });
});

describe('parsePaymentInput', () => {
  it.each([
    ['4111 1111 1111 1111', { pan: '4111 1111 1111 1111' }],
    ['4111111111111111 | 12/27', { pan: '4111111111111111', expMonth: '12', expYear: '27' }],
    ['411111|1111|12/27', { bin: '411111', last4: '1111', expMonth: '12', expYear: '27' }],
    ['41111111 | 1111 | 1 / 2027', { bin: '41111111', last4: '1111', expMonth: '1', expYear: '2027' }],
  ])('parses %j', (text, expected) => {
    expect(parsePaymentInput(text)).toEqual(expected);
  });

  it('refuses other shapes', () => {
    expect(refusedBy('411111|1111|12/27|x')).toBe('pf.input');
    expect(refusedBy('411111|1111|12-27')).toBe('pf.expiry');
    expect(refusedBy('411111|1111|1227')).toBe('pf.expiry');
    expect(refusedBy('411111|1111|12/027')).toBe('pf.expiry');
  });
});

describe('payment properties', () => {
  it('is idempotent: the body of a canonical string canonicalizes to itself', () => {
    const card = fc.oneof(
      fc
        .tuple(validPan.chain(sprinkle), fc.option(fc.tuple(month, year), { nil: undefined }))
        .map(([pan, expiry]): PaymentCardInput => (expiry === undefined ? { pan } : { pan, expMonth: expiry[0], expYear: expiry[1] })),
      fc.record({ bin: digits(6, 8), last4: digits(4, 4), expMonth: month, expYear: year }),
    );
    fc.assert(
      fc.property(card, (input) => {
        for (const { kind, canonical: once } of canonicalizePaymentCard(input)) {
          const body = once.slice(CANONICAL_PREFIXES[kind].length);
          expect(canonical(body)).toContain(once);
          expect(canonical(body)).toHaveLength(1);
        }
      }),
    );
  });

  it('ignores separators and derives from a PAN exactly what a BIN holder derives', () => {
    fc.assert(
      fc.property(validPan, month, year, (pan, expMonth, expYear) => {
        const spaced = pan.replace(/(\d{4})(?=\d)/g, '$1 ');
        const [fromPan, fromPanExpiry] = canonical({ pan: spaced, expMonth, expYear });
        expect(fromPan).toBe(`pf:pan:v1|${pan}`);
        const yy = String(expYear % 100).padStart(2, '0');
        expect(canonical(`${pan.slice(0, 8)}|${pan.slice(-4)}|${expMonth}/${yy}`)).toEqual([fromPanExpiry]);
      }),
    );
  });

  it('refuses every single-digit typo of a valid number (Luhn catches them all)', () => {
    fc.assert(
      fc.property(validPan, fc.nat(), fc.integer({ min: 1, max: 9 }), (pan, position, delta) => {
        const i = position % pan.length;
        const typo = pan.slice(0, i) + ((Number(pan[i]) + delta) % 10) + pan.slice(i + 1);
        expect(refusedBy(typo)).toBe('pf.pan-luhn');
      }),
    );
  });
});
