// Public face of @sigfed/sdk. Everything here is framework-free (node:crypto and ipaddr.js
// only) so members can run it on their side without the server's dependencies.
export { ACCOUNT_SIGNAL_MAX_CODE_POINTS, canonicalizeAccountSignal } from './account-signal.js';
export { CanonicalizationError, FederationKeyError, type CanonicalizationRule } from './errors.js';
export {
  FEDERATION_KEY_MIN_BYTES,
  KEY_EPOCH_PATTERN,
  TEST_FEDERATION_KEY_HEX,
  TOKEN_PATTERN,
  deriveToken,
  isValidKeyEpoch,
  isValidToken,
  parseFederationKey,
} from './federation-key.js';
export { canonicalForms, canonicalize, hashIndicator } from './indicator.js';
export {
  IPV4_BLOCK_PREFIX,
  IPV4_MIN_PREFIX,
  IPV6_BLOCK_PREFIX,
  IPV6_MIN_PREFIX,
  MAX_BLOCKS_PER_RANGE,
  canonicalizeIpRange,
} from './ip-range.js';
export { canonicalizePaymentCard, isLuhnValid, parsePaymentInput } from './payment.js';
export { PROMPT_PLACEHOLDERS, PROMPT_TEMPLATE_MAX_CODE_POINTS, canonicalizePromptTemplate } from './prompt-template.js';
export {
  CANONICAL_PREFIXES,
  INDICATOR_TYPES,
  KIND_TYPES,
  isIndicatorType,
  kindOfCanonical,
  type CanonicalForm,
  type HashedIndicator,
  type IndicatorKind,
  type IndicatorType,
  type IndicatorValue,
  type PaymentCardInput,
} from './types.js';
