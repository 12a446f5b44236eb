import { randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import { SigfedApiError } from './errors.js';
import { send, type FetchLike } from './http.js';
import { withRetry, type RetryPolicy } from './retry.js';

/** Signature algorithms a member key can use: EdDSA (Ed25519) or ES256 (P-256). */
export type AssertionAlgorithm = 'EdDSA' | 'ES256';

/** `client_assertion_type` of RFC 7523 private_key_jwt client authentication. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Lifetime of a client assertion: short, because a leaked one works until it expires. */
export const ASSERTION_LIFETIME_SECONDS = 60;

// Refresh this long before expiry so a token never expires between being read and being used.
const REFRESH_MARGIN_MS = 30_000;
// RFC 6749 only recommends expires_in; without it, assume a short life rather than a long one.
const DEFAULT_EXPIRES_IN_SECONDS = 60;

/** The algorithm a member's key signs with, from its JWK; refuses any other key type. */
export function assertionAlgorithm(jwk: JWK): AssertionAlgorithm {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new TypeError(
    `unsupported member key: kty ${JSON.stringify(jwk.kty)} crv ${JSON.stringify(jwk.crv)} (expected OKP/Ed25519 or EC/P-256)`,
  );
}

/** The public half of a member key: exactly the members RFC 7638 hashes for the thumbprint. */
export function publicJwk(jwk: JWK): JWK {
  return jwk.kty === 'EC' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
}

/** Signs RFC 7523 client assertions with a member's private key. */
export class ClientAssertionSigner {
  readonly algorithm: AssertionAlgorithm;
  private readonly prepared: Promise<{ key: Awaited<ReturnType<typeof importJWK>>; kid: string }>;

  constructor(
    readonly clientId: string,
    privateJwk: JWK,
  ) {
    this.algorithm = assertionAlgorithm(privateJwk);
    if (typeof privateJwk.d !== 'string') throw new TypeError('the member key has no private part ("d"); pass the private JWK');
    const algorithm = this.algorithm;
    this.prepared = (async () => ({
      key: await importJWK(privateJwk, algorithm),
      // The server looks the key up by its thumbprint, so a `kid` in the file is not trusted.
      kid: await calculateJwkThumbprint(publicJwk(privateJwk), 'sha256'),
    }))();
    // Surfaces a malformed key at the first sign() rather than as an unhandled rejection now.
    this.prepared.catch(() => undefined);
  }

  /** A fresh assertion for `audience` (the issuer): iss = sub = clientId, random jti, valid for 60 s. */
  async sign(audience: string): Promise<string> {
    const { key, kid } = await this.prepared;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: this.algorithm, kid })
      .setIssuer(this.clientId)
      .setSubject(this.clientId)
      .setAudience(audience)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
      .sign(key);
  }
}

/** Where and how to fetch access tokens. */
export interface TokenSourceOptions {
  readonly tokenUrl: string;
  readonly audience: string;
  readonly signer: ClientAssertionSigner;
  readonly fetch: FetchLike;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly userAgent: string;
}

/**
 * OAuth 2.0 client-credentials tokens, cached until shortly before they expire. Concurrent
 * callers share one token request.
 */
export class AccessTokenSource {
  private cached?: { token: string; refreshAt: number };
  private pending?: Promise<string>;

  constructor(private readonly options: TokenSourceOptions) {}

  /** A token valid for at least a little longer, fetched only when the cached one is due. */
  async get(): Promise<string> {
    if (this.cached && Date.now() < this.cached.refreshAt) return this.cached.token;
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Forgets `token` after the server refused it; a newer token fetched meanwhile is kept. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl, audience, signer, retry, timeoutMs, userAgent } = this.options;
    const answer = await withRetry(retry, async () => {
      // A new assertion per try: the server remembers jti values and refuses a replayed one.
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: await signer.sign(audience),
      });
      const result = await send(
        this.options.fetch,
        tokenUrl,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': userAgent },
          body: body.toString(),
        },
        timeoutMs,
      );
      if (result.status < 200 || result.status >= 300) throw tokenError(result.status, result.statusText, result.json, result.retryAfterMs);
      return result;
    });
    const { access_token: token, token_type: type, expires_in: expiresIn } = (answer.json ?? {}) as Record<string, unknown>;
    if (typeof token !== 'string' || token === '' || typeof type !== 'string' || type.toLowerCase() !== 'bearer') {
      throw new SigfedApiError(`the token endpoint ${tokenUrl} did not answer with a Bearer access_token`, [], answer.status);
    }
    const lifetimeMs = (typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : DEFAULT_EXPIRES_IN_SECONDS) * 1000;
    // Short-lived tokens are refreshed at half-life instead, or they would never be reused.
    this.cached = { token, refreshAt: Date.now() + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2) };
    return token;
  }
}

function tokenError(status: number, statusText: string, json: unknown, retryAfterMs: number | undefined): SigfedApiError {
  const { error, error_description: description } = (json ?? {}) as Record<string, unknown>;
  if (typeof error === 'string') {
    const detail = typeof description === 'string' ? `: ${description}` : '';
    return new SigfedApiError(
      `token request refused (${error})${detail}`,
      [{ message: typeof description === 'string' ? description : error, extensions: { code: error } }],
      status,
      retryAfterMs,
    );
  }
  return new SigfedApiError(`token endpoint answered HTTP ${status} ${statusText}`.trim(), [], status, retryAfterMs);
}
