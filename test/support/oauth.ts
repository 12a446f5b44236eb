import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';

/** A member key pair as a member holds it. */
export interface TestKeyPair {
  alg: 'EdDSA' | 'ES256';
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** A fresh key pair; kid is the RFC 7638 thumbprint, as the server computes it. */
export async function newKeyPair(alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<TestKeyPair> {
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const publicJwk = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { alg, kid, publicJwk, privateJwk: { ...(await exportJWK(pair.privateKey)), kid, alg } };
}

/** What a client assertion says; each field can be overridden or set to undefined to leave it out. */
export interface AssertionClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  jti?: string;
  iat?: number;
  exp?: number;
  [claim: string]: unknown;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Signs a client assertion with `key`: iss = sub = clientId, aud = issuer,
 * 60 s lifetime and a random jti unless `claims` says otherwise. `header`
 * adds or replaces protected header members (alg, kid, jku...).
 */
export async function signAssertion(
  key: TestKeyPair,
  clientId: string,
  audience: string,
  claims: AssertionClaims = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = nowSeconds();
  const payload: JWTPayload = { iss: clientId, sub: clientId, aud: audience, jti: randomUUID(), iat: now, exp: now + 60, ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  const alg = (header.alg as string | undefined) ?? key.alg;
  return new SignJWT(payload).setProtectedHeader({ alg, kid: key.kid, ...header }).sign(await importJWK(key.privateJwk, key.alg));
}

/** A compact JWS with the given header and payload and an arbitrary signature part (for `alg: none` and HS256 forgeries). */
export function compactJws(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(payload)}.${signature}`;
}

/** The body of an RFC 6749 token response. */
export interface TokenEndpointAnswer {
  status: number;
  headers: Headers;
  body: { access_token?: string; token_type?: string; expires_in?: number; error?: string; error_description?: string };
}

/** POSTs a form to /oauth/token. */
export async function postTokenForm(baseUrl: string, form: Record<string, string>): Promise<TokenEndpointAnswer> {
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as TokenEndpointAnswer['body'] };
}

/** The standard client_credentials + private_key_jwt form for an assertion. */
export function assertionForm(assertion: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
    ...extra,
  };
}

/** Splits a JWT into its decoded header and payload (no verification). */
export function decodeParts(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [h, p, signature] = token.split('.');
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: decode(h), payload: decode(p), signature };
}
