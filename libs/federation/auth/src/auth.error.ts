import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

export enum AuthErrorCode {
  /** No `Authorization: Bearer` header on an operation that needs one. */
  TokenMissing = 'TOKEN_MISSING',
  /** The token is malformed, forged, altered, of the wrong type or issuer, or signed by an unknown key. */
  TokenInvalid = 'TOKEN_INVALID',
  /** The token's lifetime is over; get a new one from POST /oauth/token. */
  TokenExpired = 'TOKEN_EXPIRED',
  /** The member the token was issued to is no longer active (suspended). */
  MemberNotActive = 'MEMBER_NOT_ACTIVE',
  /** The member key the token was obtained with has been revoked. */
  KeyRevoked = 'KEY_REVOKED',
  /** The member is authenticated but lacks the role the operation needs. */
  RoleRequired = 'ROLE_REQUIRED',
}

const MESSAGES: Record<AuthErrorCode, string> = {
  TOKEN_MISSING: 'This operation needs an access token: send Authorization: Bearer <token> from POST /oauth/token',
  TOKEN_INVALID: 'The access token is not valid',
  TOKEN_EXPIRED: 'The access token has expired; request a new one from POST /oauth/token',
  MEMBER_NOT_ACTIVE: 'The member this token was issued to is not active',
  KEY_REVOKED: 'The key this token was obtained with has been revoked',
  ROLE_REQUIRED: 'This operation is not available to your role',
};

/** Authentication and authorization failures of GraphQL operations. */
export class AuthError extends DomainError<AuthErrorCode> {
  constructor(code: AuthErrorCode) {
    super(code, MESSAGES[code]);
  }

  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case AuthErrorCode.TokenMissing:
      case AuthErrorCode.TokenInvalid:
      case AuthErrorCode.TokenExpired:
      case AuthErrorCode.MemberNotActive:
      case AuthErrorCode.KeyRevoked:
        return 'UNAUTHENTICATED';
      case AuthErrorCode.RoleRequired:
        return 'FORBIDDEN';
      default:
        return assertUnreachable(this.code);
    }
  }
}
