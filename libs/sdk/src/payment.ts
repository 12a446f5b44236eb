import { CanonicalizationError, type CanonicalizationRule } from './errors.js';
import { CANONICAL_PREFIXES, type CanonicalForm, type PaymentCardInput } from './types.js';

// Members disagree on BIN length (networks moved to 8-digit BINs, many processors still report
// 6), so only the first 6 digits are kept: every member can produce them.
const CANONICAL_BIN_DIGITS = 6;
const PAN_MIN_DIGITS = 12;
const PAN_MAX_DIGITS = 19;
const SEPARATORS = /[\p{White_Space}\p{Pd}]/gu;
const EXPIRY = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/;

/**
 * Parses the one-line payment format used by CLIs: `PAN`, `PAN|MM/YY` or `BIN|LAST4|MM/YY`
 * (years may have 2 or 4 digits; spaces and dashes inside numbers are ignored).
 */
export function parsePaymentInput(text: string): PaymentCardInput {
  const parts = text
    .normalize('NFKC')
    .split('|')
    .map((part) => part.trim());
  switch (parts.length) {
    case 1:
      return { pan: parts[0] };
    case 2:
      return { pan: parts[0], ...parseExpiry(parts[1]) };
    case 3:
      return { bin: parts[0], last4: parts[1], ...parseExpiry(parts[2]) };
  }
  throw refuse('pf.input', 'expected "PAN", "PAN|MM/YY" or "BIN|LAST4|MM/YY"');
}

/**
 * Canonicalizes a card. A full PAN yields a `pan` form, plus a `bin-last4-exp` form when the
 * expiry is known, so it can also match members who only ever see BIN, last 4 and expiry.
 */
export function canonicalizePaymentCard(value: string | PaymentCardInput): CanonicalForm[] {
  const card = typeof value === 'string' ? parsePaymentInput(value) : value;
  if (typeof card !== 'object' || card === null) {
    throw refuse('pf.input', 'expected a string or an object with a pan, or with bin, last4, expMonth and expYear');
  }
  if ('pan' in card && typeof card.pan === 'string') {
    const pan = canonicalPan(card.pan);
    const forms: CanonicalForm[] = [{ kind: 'pan', canonical: CANONICAL_PREFIXES.pan + pan }];
    if (card.expMonth !== undefined || card.expYear !== undefined) {
      if (card.expMonth === undefined || card.expYear === undefined) {
        throw refuse('pf.expiry', 'give both the expiry month and the expiry year, or neither');
      }
      forms.push(binLast4Exp(pan.slice(0, CANONICAL_BIN_DIGITS), pan.slice(-4), card.expMonth, card.expYear));
    }
    return forms;
  }
  if ('bin' in card && typeof card.bin === 'string' && typeof card.last4 === 'string') {
    const bin = digitsOf(card.bin, 'pf.bin', 'BIN');
    if (bin.length < CANONICAL_BIN_DIGITS || bin.length > 8) {
      throw refuse('pf.bin', `a BIN has 6 to 8 digits, got ${bin.length}`);
    }
    const last4 = digitsOf(card.last4, 'pf.last4', 'last 4');
    if (last4.length !== 4) {
      throw refuse('pf.last4', `expected exactly 4 digits, got ${last4.length}`);
    }
    return [binLast4Exp(bin.slice(0, CANONICAL_BIN_DIGITS), last4, card.expMonth, card.expYear)];
  }
  throw refuse('pf.input', 'expected an object with a pan, or with bin, last4, expMonth and expYear');
}

/** Whether a digit string passes the Luhn (mod 10) check every payment card number carries. */
export function isLuhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

function canonicalPan(raw: string): string {
  const pan = digitsOf(raw, 'pf.pan-syntax', 'card number');
  if (pan.length < PAN_MIN_DIGITS || pan.length > PAN_MAX_DIGITS) {
    throw refuse('pf.pan-length', `a card number has ${PAN_MIN_DIGITS} to ${PAN_MAX_DIGITS} digits, got ${pan.length}`);
  }
  // A typo would silently produce a token nobody else can match; refusing surfaces it.
  if (!isLuhnValid(pan)) {
    throw refuse('pf.pan-luhn', 'the card number fails the Luhn check (a digit is probably mistyped)');
  }
  return pan;
}

function binLast4Exp(bin: string, last4: string, month: unknown, year: unknown): CanonicalForm {
  const body = `${bin}|${last4}|${expiryMonth(month)}/${expiryYear(year)}`;
  return { kind: 'bin-last4-exp', canonical: CANONICAL_PREFIXES['bin-last4-exp'] + body };
}

function expiryMonth(value: unknown): string {
  let month: number | undefined;
  if (typeof value === 'string') {
    const text = value.normalize('NFKC').trim();
    if (/^\d{1,2}$/.test(text)) month = Number(text);
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    month = value;
  }
  if (month === undefined || month < 1 || month > 12) {
    throw refuse('pf.exp-month', `the expiry month must be 1 to 12, got ${JSON.stringify(value)}`);
  }
  return String(month).padStart(2, '0');
}

// Two-digit years are 20YY: cards are issued for at most a few years, so 19YY or 21YY
// expiries do not occur in data members hold today.
function expiryYear(value: unknown): number {
  let year: number | undefined;
  if (typeof value === 'string') {
    const text = value.normalize('NFKC').trim();
    if (/^\d{2}$/.test(text)) year = 2000 + Number(text);
    else if (/^\d{4}$/.test(text)) year = Number(text);
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    year = value >= 0 && value <= 99 ? 2000 + value : value;
  }
  if (year === undefined || year < 2000 || year > 2099) {
    throw refuse('pf.exp-year', `the expiry year must be YY or YYYY between 2000 and 2099, got ${JSON.stringify(value)}`);
  }
  return year;
}

function parseExpiry(text: string): { expMonth: string; expYear: string } {
  const match = EXPIRY.exec(text);
  if (match === null) {
    throw refuse('pf.expiry', `expected the expiry as MM/YY or MM/YYYY, got ${JSON.stringify(text)}`);
  }
  return { expMonth: match[1], expYear: match[2] };
}

function digitsOf(raw: string, rule: CanonicalizationRule, what: string): string {
  // NFKC turns full-width digits into ASCII ones; separators are only there for humans.
  const digits = raw.normalize('NFKC').replace(SEPARATORS, '');
  if (!/^[0-9]+$/.test(digits)) {
    throw refuse(rule, `the ${what} must be digits, optionally grouped with spaces or dashes`);
  }
  return digits;
}

function refuse(rule: CanonicalizationRule, detail: string): CanonicalizationError {
  return new CanonicalizationError('PAYMENT_FINGERPRINT', rule, detail);
}
