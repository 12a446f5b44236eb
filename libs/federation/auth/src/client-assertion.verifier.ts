import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, errors, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { KeyStatus, MemberStatus, PrismaService, type MemberRole } from '@app/database';
import { RedisService } from '@app/redis';
import {
  ASSERTION_ALGORITHMS,
  ASSERTION_MAX_LIFETIME_SECONDS,
  CLIENT_ID_PATTERN,
  CLOCK_SKEW_SECONDS,
  JTI_MAX_LENGTH,
  KEY_ALGORITHM,
  type AssertionAlgorithm,
  KID_PATTERN,
  MAX_JWT_LENGTH,
} from './auth.constants.js';

/** Why a client assertion was refused: logged and tested, never told to the client. */
export type ClientAuthFailureReason =
  | 'assertion_malformed'
  | 'alg_not_allowed'
  | 'kid_malformed'
  | 'kid_ambiguous'
  | 'key_unknown'
  | 'alg_mismatch'
  | 'signature_invalid'
  | 'expired'
  | 'claims_invalid'
  | 'audience_not_exact'
  | 'lifetime_too_long'
  | 'jti_invalid'
  | 'key_revoked'
  | 'member_not_active'
  | 'client_id_mismatch'
  | 'replayed';

/** A refused client assertion. `clientId` is the client it concerns, when that is known. */
export class ClientAuthFailure extends Error {
  constructor(
    readonly reason: ClientAuthFailureReason,
    readonly clientId: string | undefined,
    readonly kid?: string,
  ) {
    super(`client authentication failed: ${reason}`);
    this.name = 'ClientAuthFailure';
  }
}

/** The member and key a valid assertion proved. */
export interface AuthenticatedClient {
  member: { id: string; clientId: string; role: MemberRole };
  keyId: string;
}

const KEY_FIELDS = {
  kid: true,
  alg: true,
  publicJwk: true,
  status: true,
  member: { select: { id: true, clientId: true, status: true, role: true } },
} as const;

const isAllowedAlg = (alg: unknown): alg is (typeof ASSERTION_ALGORITHMS)[number] =>
  (ASSERTION_ALGORITHMS as readonly unknown[]).includes(alg);

/**
 * Verifies RFC 7523 client assertions (private_key_jwt). The key comes only
 * from the member's registered keys by `kid`; `jku`, `x5u`, `jwk` and `x5c`
 * headers are never read. Checks run cheapest first; the single-use `jti` is
 * claimed last, atomically (SET NX), so a refused assertion consumes nothing.
 */
@Injectable()
export class ClientAssertionVerifier {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
  ) {}

  /** Returns the authenticated client or throws ClientAuthFailure. */
  async verify(assertion: string, clientIdParam?: string): Promise<AuthenticatedClient> {
    let claimed: string | undefined;
    let header: ReturnType<typeof decodeProtectedHeader>;
    if (assertion.length > MAX_JWT_LENGTH || assertion.split('.').length !== 3) {
      throw new ClientAuthFailure('assertion_malformed', undefined);
    }
    try {
      header = decodeProtectedHeader(assertion);
      const unverified = decodeJwt(assertion);
      if (typeof unverified.iss === 'string' && CLIENT_ID_PATTERN.test(unverified.iss)) claimed = unverified.iss;
    } catch {
      throw new ClientAuthFailure('assertion_malformed', undefined);
    }
    const alg = header.alg;
    if (!isAllowedAlg(alg)) throw new ClientAuthFailure('alg_not_allowed', claimed);
    if (header.kid !== undefined && (typeof header.kid !== 'string' || !KID_PATTERN.test(header.kid))) {
      throw new ClientAuthFailure('kid_malformed', claimed);
    }
    const key = header.kid === undefined ? await this.onlyKeyOf(claimed, clientIdParam, alg) : await this.keyByKid(header.kid);
    if (!key) throw new ClientAuthFailure('key_unknown', claimed, header.kid);
    const { kid } = key;
    const clientId = key.member.clientId;
    if (key.alg !== KEY_ALGORITHM[alg]) throw new ClientAuthFailure('alg_mismatch', clientId, kid);

    const issuer = this.config.http.publicBaseUrl;
    let payload: JWTPayload;
    try {
      const publicKey = await importJWK(key.publicJwk as JWK, alg);
      ({ payload } = await jwtVerify(assertion, publicKey, {
        algorithms: [alg],
        issuer: clientId,
        subject: clientId,
        audience: issuer,
        requiredClaims: ['iss', 'sub', 'aud', 'jti', 'iat', 'exp'],
        maxTokenAge: ASSERTION_MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS,
        clockTolerance: CLOCK_SKEW_SECONDS,
      }));
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed) throw new ClientAuthFailure('signature_invalid', clientId, kid);
      if (error instanceof errors.JWTExpired) throw new ClientAuthFailure('expired', clientId, kid);
      if (error instanceof errors.JOSEError) throw new ClientAuthFailure('claims_invalid', clientId, kid);
      throw error;
    }
    // One audience, exactly the issuer: an array naming other servers too is refused
    // (the 2025 private_key_jwt audience-injection advisory).
    if (payload.aud !== issuer) throw new ClientAuthFailure('audience_not_exact', clientId, kid);
    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp as number;
    if (exp - now > ASSERTION_MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) {
      throw new ClientAuthFailure('lifetime_too_long', clientId, kid);
    }
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > JTI_MAX_LENGTH) {
      throw new ClientAuthFailure('jti_invalid', clientId, kid);
    }
    if (key.status !== KeyStatus.ACTIVE) throw new ClientAuthFailure('key_revoked', clientId, kid);
    if (key.member.status !== MemberStatus.ACTIVE) throw new ClientAuthFailure('member_not_active', clientId, kid);
    if (clientIdParam !== undefined && clientIdParam !== clientId) {
      throw new ClientAuthFailure('client_id_mismatch', clientId, kid);
    }

    // Remember the jti until the assertion could no longer be accepted anyway.
    const ttl = Math.max(1, exp + CLOCK_SKEW_SECONDS - now);
    const digest = createHash('sha256').update(jti, 'utf8').digest('base64url');
    const claimedJti = await this.redis.set(`jti:${clientId}:${digest}`, '1', 'EX', ttl, 'NX');
    if (claimedJti !== 'OK') throw new ClientAuthFailure('replayed', clientId, kid);

    return { member: { id: key.member.id, clientId, role: key.member.role }, keyId: kid };
  }

  private keyByKid(kid: string) {
    return this.prisma.memberKey.findUnique({ where: { kid }, select: KEY_FIELDS });
  }

  /**
   * The key of an assertion without `kid` (RFC 7523 does not require one, and some client
   * libraries leave it out): the claimed client's one active key of the assertion's algorithm.
   * With two (a rotation under way) the assertion must say which, so there is still exactly one
   * signature check per assertion.
   */
  private async onlyKeyOf(claimed: string | undefined, clientIdParam: string | undefined, alg: AssertionAlgorithm) {
    const clientId = claimed ?? (clientIdParam !== undefined && CLIENT_ID_PATTERN.test(clientIdParam) ? clientIdParam : undefined);
    if (clientId === undefined) return null;
    const keys = await this.prisma.memberKey.findMany({
      where: { member: { clientId }, alg: KEY_ALGORITHM[alg], status: KeyStatus.ACTIVE },
      select: KEY_FIELDS,
      take: 2,
    });
    if (keys.length > 1) throw new ClientAuthFailure('kid_ambiguous', clientId);
    return keys[0] ?? null;
  }
}
