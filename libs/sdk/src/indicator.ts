import { canonicalizeAccountSignal } from './account-signal.js';
import { CanonicalizationError } from './errors.js';
import { deriveToken, parseFederationKey } from './federation-key.js';
import { canonicalizeIpRange } from './ip-range.js';
import { canonicalizePaymentCard } from './payment.js';
import { canonicalizePromptTemplate } from './prompt-template.js';
import type { CanonicalForm, HashedIndicator, IndicatorType, IndicatorValue } from './types.js';

/**
 * Canonical forms of an indicator with their kinds. IP ranges yield one form per block, a full
 * card number with expiry yields two, everything else exactly one.
 */
export function canonicalForms(type: IndicatorType, value: IndicatorValue): CanonicalForm[] {
  switch (type) {
    case 'PAYMENT_FINGERPRINT':
      return canonicalizePaymentCard(value);
    case 'IP_RANGE':
      return canonicalizeIpRange(requireString(type, value));
    case 'PROMPT_TEMPLATE':
      return [canonicalizePromptTemplate(requireString(type, value))];
    case 'ACCOUNT_SIGNAL':
      return [canonicalizeAccountSignal(requireString(type, value))];
    default:
      throw new TypeError(`unknown indicator type ${JSON.stringify(type satisfies never)}`);
  }
}

/** Canonical strings of an indicator (see `canonicalForms`). */
export function canonicalize(type: IndicatorType, value: IndicatorValue): string[] {
  return canonicalForms(type, value).map((form) => form.canonical);
}

/** Canonicalizes an indicator and derives the token of every canonical form. */
export function hashIndicator(federationKey: Uint8Array | string, type: IndicatorType, value: IndicatorValue): HashedIndicator[] {
  // Decoding once up front instead of once per IP block.
  const key = typeof federationKey === 'string' ? parseFederationKey(federationKey) : federationKey;
  return canonicalForms(type, value).map(({ kind, canonical }) => ({ type, kind, canonical, token: deriveToken(key, canonical) }));
}

function requireString(type: IndicatorType, value: IndicatorValue): string {
  if (typeof value !== 'string') throw new CanonicalizationError(type, 'input.not-string', 'this indicator type takes a string value');
  return value;
}
