import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, SignJWT, type CryptoKey, type JWK } from 'jose';
import { importJWK } from 'jose';

/** A GraphQL answer as the bench reads it. */
export interface GqlAnswer<T> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** POSTs one GraphQL operation with variables (never inline literals) and an optional Bearer token. */
export async function gql<T>(url: string, query: string, variables: unknown, token?: string): Promise<GqlAnswer<T>> {
  return postJson<T>(`${url}/graphql`, JSON.stringify({ query, variables }), token);
}

/** POSTs an already serialized GraphQL body (the ingest phases build theirs before the clock starts). */
export async function postJson<T>(url: string, body: string, token?: string): Promise<GqlAnswer<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  const text = await res.text();
  let parsed: Omit<GqlAnswer<T>, 'status'>;
  try {
    parsed = JSON.parse(text) as Omit<GqlAnswer<T>, 'status'>;
  } catch {
    throw new Error(`${url} answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, ...parsed };
}

/** The data of a GraphQL answer, or an error naming the operation and the server's first error. */
export function dataOf<T>(what: string, answer: GqlAnswer<T>): T {
  if (answer.errors?.length || !answer.data) {
    const first = answer.errors?.[0];
    throw new Error(`${what} failed (HTTP ${answer.status}): ${first ? `${first.extensions?.code ?? ''} ${first.message}` : 'no data'}`);
  }
  return answer.data;
}

/**
 * Access tokens for one member through the real POST /oauth/token:
 * client_credentials with a private_key_jwt assertion (RFC 7523) signed by
 * the member's Ed25519 key. Cached until shortly before expiry, because a
 * full run outlives the default 15-minute tokens.
 */
export class TokenSource {
  private cached?: { token: string; refreshAt: number };
  private readonly key: Promise<{ key: CryptoKey | Uint8Array; kid: string }>;

  constructor(
    readonly clientId: string,
    privateJwk: JWK,
    private readonly issuer: string,
    private readonly tokenUrl: string,
  ) {
    const { d: _d, ...pub } = privateJwk;
    this.key = (async () => ({
      key: await importJWK(privateJwk, 'EdDSA'),
      kid: await calculateJwkThumbprint({ kty: pub.kty, crv: pub.crv, x: pub.x }, 'sha256'),
    }))();
  }

  async get(): Promise<string> {
    if (this.cached && Date.now() < this.cached.refreshAt) return this.cached.token;
    const { key, kid } = await this.key;
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setIssuer(this.clientId)
      .setSubject(this.clientId)
      .setAudience(this.issuer)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(key);
    const res = await fetch(this.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }).toString(),
    });
    const body = (await res.json()) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    if (!res.ok || !body.access_token) {
      throw new Error(
        `POST /oauth/token for ${this.clientId} failed: HTTP ${res.status} ${body.error ?? ''} ${body.error_description ?? ''}`,
      );
    }
    const lifetimeMs = (body.expires_in ?? 60) * 1000;
    this.cached = { token: body.access_token, refreshAt: Date.now() + lifetimeMs / 2 };
    return body.access_token;
  }
}
