import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { KeyStatus, MemberRole, MemberStatus } from '@app/database';
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
import { MemberStateCache } from './member-state.cache.js';
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

/** The claims of a token whose signature, issuer, audience and lifetime were verified. */
export type VerifiedClaims = AccessTokenClaims & { sub: string; jti: string };

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Tolerance for the server's own clocks (several API processes). */
const OWN_CLOCK_SKEW_SECONDS = 5;
/** How long a verified token is trusted without checking its signature again (never past its `exp`). */
const VERIFIED_MAX_AGE_MS = 60_000;
/** Verified tokens remembered per process; the oldest is dropped beyond it. */
const VERIFIED_MAX_ENTRIES = 10_000;

function isClaims(payload: JWTPayload): payload is VerifiedClaims {
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
    private readonly states: MemberStateCache,
  ) {}

  /**
   * Tokens whose signature and claims were verified lately: a client sends
   * the same token with every request for its lifetime, and checking an
   * EdDSA signature and parsing the JWT each time was a visible part of a
   * small request's cost. Keyed by the whole token, so only the very same
   * bytes hit; an entry is dropped at the token's `exp` or after
   * VERIFIED_MAX_AGE_MS, whichever comes first.
   */
  private readonly verified = new Map<string, { claims: VerifiedClaims; until: number }>();

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
   * issuer, audience and lifetime, then checks that the member is ACTIVE and
   * the key it authenticated with is not revoked, so suspension and
   * revocation take effect on the next request. `epoch` is the member's
   * change counter read for this request (MemberStateCache); without it the
   * check is an indexed database query.
   */
  async verify(token: string, epoch?: string | null): Promise<AuthenticatedMember> {
    return this.admit(await this.claimsOf(token), epoch);
  }

  /** `verify`'s second half: the member and key behind verified claims, as stored now. */
  async admit(claims: VerifiedClaims, epoch?: string | null): Promise<AuthenticatedMember> {
    const state = await this.states.lookup(claims.sub, claims.key_id, epoch);
    if (!state) throw new AuthError(AuthErrorCode.TokenInvalid);
    if (state.memberStatus !== MemberStatus.ACTIVE) throw new AuthError(AuthErrorCode.MemberNotActive);
    if (state.keyStatus !== KeyStatus.ACTIVE) throw new AuthError(AuthErrorCode.KeyRevoked);
    return { id: claims.sub, clientId: claims.client_id, role: state.role, keyId: claims.key_id, tokenId: claims.jti };
  }

  /** `verify`'s first half: the token's claims once its signature and claims are verified (remembered a while, see `verified`). */
  async claimsOf(token: string): Promise<VerifiedClaims> {
    const now = Date.now();
    const known = this.verified.get(token);
    if (known && now < known.until) return known.claims;
    if (known) this.verified.delete(token);
    if (token.length > MAX_JWT_LENGTH || !JWS_COMPACT.test(token)) throw new AuthError(AuthErrorCode.TokenInvalid);
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
      if (error instanceof errors.JWTExpired) throw new AuthError(AuthErrorCode.TokenExpired);
      if (error instanceof errors.JOSEError) throw new AuthError(AuthErrorCode.TokenInvalid);
      throw error;
    }
    if (!isClaims(payload)) throw new AuthError(AuthErrorCode.TokenInvalid);
    // Trusted until it expires (without the clock tolerance) or for VERIFIED_MAX_AGE_MS.
    const until = Math.min((payload.exp as number) * 1000, now + VERIFIED_MAX_AGE_MS);
    if (this.verified.size >= VERIFIED_MAX_ENTRIES) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { claims: payload, until });
    return payload;
  }
}
