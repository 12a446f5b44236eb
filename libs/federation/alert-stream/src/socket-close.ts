import { AuthErrorCode, type AuthError } from '@app/auth';

/** graphql-ws close codes: the client must authenticate again (4401) or may not (4403). */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_FORBIDDEN = 4403;

/** Why a connection is refused or closed: a WebSocket close code and reason. */
export interface SocketRefusal {
  code: number;
  reason: string;
}

export const TOKEN_EXPIRED: SocketRefusal = { code: CLOSE_UNAUTHORIZED, reason: 'access token expired' };

/** The close a failed token or member check calls for: 4403 for a suspended member or revoked key, else 4401. */
export function refusalOf(error: AuthError): SocketRefusal {
  const forbidden = error.code === AuthErrorCode.MemberNotActive || error.code === AuthErrorCode.KeyRevoked;
  return { code: forbidden ? CLOSE_FORBIDDEN : CLOSE_UNAUTHORIZED, reason: error.message };
}
