import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

export enum AuthErrorCode {
  /** No `Authorization: Bearer` header on an operation that needs one. */
  TOKEN_MISSING = 'TOKEN_MISSING',
  /** The token is malformed, forged, altered, of the wrong type or issuer, or signed by an unknown key. */
  TOKEN_INVALID = 'TOKEN_INVALID',
  /** The token's lifetime is over; get a new one from POST /oauth/token. */
  TOKEN_EXPIRED = 'TOKEN_EXPIRED',
  /** The member the token was issued to is no longer active (suspended). */
  MEMBER_NOT_ACTIVE = 'MEMBER_NOT_ACTIVE',
  /** The member key the token was obtained with has been revoked. */
  KEY_REVOKED = 'KEY_REVOKED',
  /** The member is authenticated but lacks the role the operation needs. */
  ROLE_REQUIRED = 'ROLE_REQUIRED',
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
      case AuthErrorCode.TOKEN_MISSING:
      case AuthErrorCode.TOKEN_INVALID:
      case AuthErrorCode.TOKEN_EXPIRED:
      case AuthErrorCode.MEMBER_NOT_ACTIVE:
      case AuthErrorCode.KEY_REVOKED:
        return 'UNAUTHENTICATED';
      case AuthErrorCode.ROLE_REQUIRED:
        return 'FORBIDDEN';
      default:
        return assertUnreachable(this.code);
    }
  }
}
