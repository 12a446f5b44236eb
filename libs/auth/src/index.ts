export { AccessTokenService, type IssuedToken, type VerifiedClaims } from './access-token.service.js';
export {
  ACCESS_TOKEN_TYPE,
  ASSERTION_ALGORITHMS,
  ASSERTION_MAX_LIFETIME_SECONDS,
  CLIENT_ID_PATTERN,
  CLOCK_SKEW_SECONDS,
  JWT_BEARER_ASSERTION_TYPE,
  KID_PATTERN,
  SIGNING_KEY_CACHE_MS,
  type AssertionAlgorithm,
} from './auth.constants.js';
export { AuthError, AuthErrorCode } from './auth.error.js';
export { AuthGuard } from './auth.guard.js';
export { AuthModule } from './auth.module.js';
export { CurrentMember, type AuthenticatedMember } from './authenticated-member.js';
export { MEMBER_STATE_MAX_AGE_MS, MemberStateCache, MemberStateModule, type MemberState } from './member-state.cache.js';
export { ClientAssertionVerifier, ClientAuthFailure, type ClientAuthFailureReason } from './client-assertion.verifier.js';
export { SigningKeyDecryptionError, SigningKeyService, type RotationResult } from './signing-key.service.js';
export { SigningKeysModule } from './signing-keys.module.js';
export { AuditCheckpointError, AuditCheckpointErrorCode } from './audit-checkpoint.error.js';
export { AuditCheckpointModule } from './audit-checkpoint.module.js';
export { AuditCheckpointService, type CheckpointOutcome } from './audit-checkpoint.service.js';
export { AuditCheckpointWorkerModule } from './audit-checkpoint-worker.module.js';
