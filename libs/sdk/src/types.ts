/** The kinds of abuse indicator a federation member can share. */
export type IndicatorType = 'PAYMENT_FINGERPRINT' | 'IP_RANGE' | 'PROMPT_TEMPLATE' | 'ACCOUNT_SIGNAL';

/** Every indicator type, in a stable order (for CLIs, validation and exhaustive tests). */
export const INDICATOR_TYPES: readonly IndicatorType[] = Object.freeze([
  'PAYMENT_FINGERPRINT',
  'IP_RANGE',
  'PROMPT_TEMPLATE',
  'ACCOUNT_SIGNAL',
]);

/** Whether a string names an indicator type (use it to narrow untrusted input such as CLI arguments). */
export function isIndicatorType(value: string): value is IndicatorType {
  return (INDICATOR_TYPES as readonly string[]).includes(value);
}

/**
 * The kind of a canonical string. Tokens of different kinds never match each other, even
 * within one indicator type (a full-PAN token never equals a BIN/last-4/expiry token).
 */
export type IndicatorKind = 'pan' | 'bin-last4-exp' | 'ip4-block' | 'ip6-block' | 'template' | 'account';

/**
 * The fixed prefix every canonical string of a kind starts with. The prefixes are what keep
 * types apart (domain separation): no canonical string of one kind can equal one of another.
 */
export const CANONICAL_PREFIXES: Readonly<Record<IndicatorKind, string>> = Object.freeze({
  pan: 'pf:pan:v1|',
  'bin-last4-exp': 'pf:bin-last4-exp:v1|',
  'ip4-block': 'ip4:',
  'ip6-block': 'ip6:',
  template: 'tpl:v1:',
  account: 'acct:v1:',
});

/** The indicator type each kind belongs to. */
export const KIND_TYPES: Readonly<Record<IndicatorKind, IndicatorType>> = Object.freeze({
  pan: 'PAYMENT_FINGERPRINT',
  'bin-last4-exp': 'PAYMENT_FINGERPRINT',
  'ip4-block': 'IP_RANGE',
  'ip6-block': 'IP_RANGE',
  template: 'PROMPT_TEMPLATE',
  account: 'ACCOUNT_SIGNAL',
});

/** One canonical string together with its kind. */
export interface CanonicalForm {
  readonly kind: IndicatorKind;
  readonly canonical: string;
}

/** A card described by what a member holds: the full number, or BIN, last four digits and expiry. */
export type PaymentCardInput =
  | {
      /** Full primary account number; spaces and dashes are allowed. */
      readonly pan: string;
      /** Optional expiry; when given together with the year, a BIN/last-4/expiry form is derived too. */
      readonly expMonth?: string | number;
      readonly expYear?: string | number;
    }
  | {
      /** The first 6 to 8 digits of the card number; only the first 6 are kept. */
      readonly bin: string;
      readonly last4: string;
      /** 1-12, as a number or a string of one or two digits. */
      readonly expMonth: string | number;
      /** Two digits (meaning 20YY) or four digits 2000-2099. */
      readonly expYear: string | number;
    };

/** Anything `canonicalize` accepts: a string for every type, or a structured card for payments. */
export type IndicatorValue = string | PaymentCardInput;

/** The result of hashing one canonical form of an indicator. */
export interface HashedIndicator {
  readonly type: IndicatorType;
  readonly kind: IndicatorKind;
  readonly canonical: string;
  /**
   * 64 lowercase hex characters: HMAC-SHA256(federationKey, UTF-8(canonical)) for an HMAC
   * epoch, the two-key token for a TWO_KEY epoch (`TokenDeriver`).
   */
  readonly token: string;
}

/** Returns the kind a canonical string belongs to, or undefined when it has no known prefix. */
export function kindOfCanonical(canonical: string): IndicatorKind | undefined {
  for (const kind of Object.keys(CANONICAL_PREFIXES) as IndicatorKind[]) {
    if (canonical.startsWith(CANONICAL_PREFIXES[kind])) return kind;
  }
  return undefined;
}
