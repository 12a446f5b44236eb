import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { KeyStatus, MemberRole, MemberStatus, PrismaService } from '@app/database';
import {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_TYPE,
  CLIENT_ID_PATTERN,
  KID_PATTERN,
  MAX_JWT_LENGTH,
  UUID_PATTERN,
} from './auth.constants.js';
import { AuthError, AuthErrorCode } from './auth.error.js';
import type { AuthenticatedMember } from './authenticated-member.js';
import { SigningKeyService } from './signing-key.service.js';

/** An issued access token and its lifetime in seconds. */
export interface IssuedToken {
  token: string;
  expiresIn: number;
}

/** Claims of a Sigfed access token beyond the registered ones. */
interface AccessTokenClaims extends JWTPayload {
  client_id: string;
  role: MemberRole;
  /** kid of the member key the client assertion was signed with. */
  key_id: string;
}

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Tolerance for the server's own clocks (several API processes). */
const OWN_CLOCK_SKEW_SECONDS = 5;

function isClaims(payload: JWTPayload): payload is AccessTokenClaims {
  const p = payload as Partial<AccessTokenClaims>;
  return (
    typeof p.sub === 'string' &&
    UUID_PATTERN.test(p.sub) &&
    typeof p.client_id === 'string' &&
    CLIENT_ID_PATTERN.test(p.client_id) &&
    typeof p.key_id === 'string' &&
    KID_PATTERN.test(p.key_id) &&
    typeof p.jti === 'string' &&
    (p.role === MemberRole.ADMIN || p.role === MemberRole.MEMBER)
  );
}

/**
 * Issues and verifies access tokens: JWTs (RFC 9068, `typ: at+jwt`) signed
 * with the server's current EdDSA key, `iss` and `aud` both the issuer URL.
 */
@Injectable()
export class AccessTokenService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: SigningKeyService,
    private readonly prisma: PrismaService,
  ) {}

  /** Signs a token for `member`, remembering which of its keys authenticated it. */
  async issue(member: { id: string; clientId: string; role: MemberRole }, keyId: string): Promise<IssuedToken> {
    const { kid, key } = await this.keys.signer();
    const issuer = this.config.http.publicBaseUrl;
    const expiresIn = this.config.auth.accessTokenTtlSeconds;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ client_id: member.clientId, role: member.role, key_id: keyId })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid })
      .setIssuer(issuer)
      .setAudience(issuer)
      .setSubject(member.id)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .sign(key);
    return { token, expiresIn };
  }

  /**
   * Verifies signature (published server keys only, EdDSA only), `typ`,
   * issuer, audience and lifetime, then checks in one indexed query that the
   * member is ACTIVE and the key it authenticated with is not revoked, so
   * suspension and revocation take effect on the next request.
   */
  async verify(token: string): Promise<AuthenticatedMember> {
    if (token.length > MAX_JWT_LENGTH || !JWS_COMPACT.test(token)) throw new AuthError(AuthErrorCode.TOKEN_INVALID);
    const issuer = this.config.http.publicBaseUrl;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header) => {
          const key = await this.keys.verificationKey(header.kid);
          if (!key) throw new errors.JWKSNoMatchingKey();
          return key;
        },
        {
          algorithms: [ACCESS_TOKEN_ALGORITHM],
          typ: ACCESS_TOKEN_TYPE,
          issuer,
          audience: issuer,
          requiredClaims: ['sub', 'jti', 'iat', 'exp'],
          clockTolerance: OWN_CLOCK_SKEW_SECONDS,
        },
      ));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new AuthError(AuthErrorCode.TOKEN_EXPIRED);
      if (error instanceof errors.JOSEError) throw new AuthError(AuthErrorCode.TOKEN_INVALID);
      throw error;
    }
    if (!isClaims(payload)) throw new AuthError(AuthErrorCode.TOKEN_INVALID);
    const [state] = await this.prisma.$queryRaw<{ member_status: MemberStatus; role: MemberRole; key_status: KeyStatus }[]>`
      SELECT m.status AS member_status, m.role, k.status AS key_status
        FROM member_keys k
        JOIN members m ON m.id = k.member_id
       WHERE k.kid = ${payload.key_id} AND m.id = ${payload.sub}::uuid`;
    if (!state) throw new AuthError(AuthErrorCode.TOKEN_INVALID);
    if (state.member_status !== MemberStatus.ACTIVE) throw new AuthError(AuthErrorCode.MEMBER_NOT_ACTIVE);
    if (state.key_status !== KeyStatus.ACTIVE) throw new AuthError(AuthErrorCode.KEY_REVOKED);
    return {
      id: payload.sub as string,
      clientId: payload.client_id,
      role: state.role,
      keyId: payload.key_id,
      tokenId: payload.jti as string,
    };
  }
}
