// Public face of @sigfed/sdk. Everything here is framework-free so members can run it on their
// side without the server's dependencies: canonicalization needs node:crypto and ipaddr.js only,
// the two-key scheme @noble/curves, the API client (./client) adds jose and standardwebhooks.
export { ACCOUNT_SIGNAL_MAX_CODE_POINTS, canonicalizeAccountSignal } from './account-signal.js';
export { CanonicalizationError, FederationKeyError, OprfVerificationError, type CanonicalizationRule } from './errors.js';
export {
  FEDERATION_KEY_MIN_BYTES,
  KEY_EPOCH_PATTERN,
  TEST_FEDERATION_KEY_HEX,
  TOKEN_PATTERN,
  deriveHmac,
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
export {
  MINHASH_BANDS,
  MINHASH_ROWS,
  MINHASH_SCHEME,
  MINHASH_SHINGLE_WORDS,
  MINHASH_VALUES,
  TemplateSignatureKeys,
  similarityOfSharedBands,
  templateBandPreTokens,
  templateMinHash,
  templateShingles,
  templateSignature,
  templateSignatureKeys,
  type TemplateSignature,
} from './minhash.js';
export { canonicalizePaymentCard, isLuhnValid, parsePaymentInput } from './payment.js';
export {
  BlindedTokens,
  OPRF_ELEMENT_BYTES,
  OPRF_INPUT_BYTES,
  OPRF_PROOF_BYTES,
  TWO_KEY_MODE,
  TWO_KEY_SUITE,
  blindPoprf,
  blindTokens,
  finalizeTokens,
  fixedScalars,
  fromBase64Url,
  parseOprfPublicKey,
  toBase64Url,
  tokenOfOutput,
  twoKeyInfo,
  type BlindEvaluation,
  type RandomBytes,
} from './two-key.js';
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
export {
  ASSERTION_LIFETIME_SECONDS,
  CLIENT_ASSERTION_TYPE,
  assertionAlgorithm,
  publicJwk,
  type AssertionAlgorithm,
} from './client/token.js';
export { parseCredentials, type SigfedCredentials } from './client/credentials.js';
export {
  ALERT_EVENTS,
  AlertEventStream,
  SigfedStreamError,
  type AlertEvent,
  type AlertEventType,
  type AlertEventsOptions,
  type AlertStreamEndCode,
  type ReconnectInfo,
  type StreamTokenSource,
} from './client/alert-events.js';
export { CsvSyntaxError, parseCsv, type CsvRecord } from './client/csv.js';
export {
  OprfKeyMismatchError,
  OprfKeyNotPinnedError,
  SigfedApiError,
  SigfedNetworkError,
  SigfedSubmitError,
  TokenCacheError,
  type GraphQLErrorItem,
  type SubmitTotals,
} from './client/errors.js';
export { hashAndBuild, type BuiltIndicators, type RawIndicatorRow, type RowRefusal, type RowRule } from './client/hash-and-build.js';
export type { FetchLike } from './client/http.js';
export { INDICATOR_CSV_COLUMNS, readIndicatorCsv, type IndicatorCsv } from './client/indicator-csv.js';
export {
  ALERT_FIELDS,
  ALERTS,
  EVALUATE_BLINDED,
  OPRF_KEYS,
  RETRACT_INDICATORS,
  RETRACT_TEMPLATE_SIGNATURES,
  SERVER_INFO,
  SUBMIT_INDICATORS,
  SUBMIT_TEMPLATE_SIGNATURES,
  type Alert,
  type AlertCloseReason,
  type AlertFilter,
  type AlertStatus,
  type Connection,
  type EvaluateBlindedInput,
  type EvaluateBlindedResult,
  type IndicatorInput,
  type OprfKey,
  type OprfKeyStatus,
  type RetractIndicatorsInput,
  type ServerInfo,
  type SubmissionResult,
  type SubmitTemplateSignaturesInput,
  type TemplateSignatureInput,
} from './client/operations.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './client/retry.js';
export {
  DEFAULT_BATCH_SIZE,
  MAX_ALERTS_PAGE_SIZE,
  MAX_BATCH_SIZE,
  SigfedClient,
  type GraphQLCallOptions,
  type SigfedClientOptions,
  type SubmitOptions,
  type SubmitProgress,
} from './client/sigfed-client.js';
export { FileTokenCache, MemoryTokenCache, TOKEN_CACHE_HEADER, type TwoKeyTokenCache } from './client/token-cache.js';
export {
  MAX_EVALUATE_BATCH,
  TokenDeriver,
  TwoKeyTokens,
  type KeyEpochScheme,
  type TwoKeyStats,
  type TwoKeyTokensOptions,
} from './client/two-key-tokens.js';
export { WebhookVerificationError, verifyWebhook, type WebhookEvent, type WebhookHeaders } from './client/webhook.js';
