import type { IndicatorType } from './types.js';

/**
 * Identifiers of the canonicalization rules a value can break. They are stable: clients may
 * branch on them, and docs/canonicalization.md lists each one.
 */
export type CanonicalizationRule =
  | 'input.not-string'
  | 'pf.input'
  | 'pf.pan-syntax'
  | 'pf.pan-length'
  | 'pf.pan-luhn'
  | 'pf.bin'
  | 'pf.last4'
  | 'pf.expiry'
  | 'pf.exp-month'
  | 'pf.exp-year'
  | 'ip.syntax'
  | 'ip.zone-id'
  | 'ip.ipv4-leading-zero'
  | 'ip.prefix'
  | 'ip.range-too-large'
  | 'text.unpaired-surrogate'
  | 'tpl.too-long'
  | 'tpl.empty'
  | 'tpl.no-words'
  | 'acct.too-long'
  | 'acct.empty';

/** Thrown when a value cannot be canonicalized; `rule` says which rule refused it. */
export class CanonicalizationError extends Error {
  override readonly name = 'CanonicalizationError';

  constructor(
    readonly type: IndicatorType,
    readonly rule: CanonicalizationRule,
    detail: string,
  ) {
    super(`${type} refused by rule ${rule}: ${detail}`);
  }
}

/** Thrown when a federation key is malformed or too short to be safe. */
export class FederationKeyError extends Error {
  override readonly name = 'FederationKeyError';
}

/**
 * Thrown when a two-key evaluation cannot be trusted: a malformed public key, element or
 * proof, an answer of the wrong length, or a proof that does not verify against the pinned
 * public key. No token is derived from such an answer.
 */
export class OprfVerificationError extends Error {
  override readonly name = 'OprfVerificationError';
}
