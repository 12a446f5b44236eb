import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { JsonObject } from '@app/common';

/** Members private to a key; a public JWK carrying any of them is refused. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const SUPPORTED = 'use an Ed25519 key (OKP, alg EdDSA) or a P-256 key (EC, alg ES256)';
const MAX_JSON_LENGTH = 2_048;
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;

/** The algorithms member keys may have. */
export type MemberKeyAlgorithm = 'EdDSA' | 'ES256';

/** A checked public key, reduced to its public members, with its RFC 7638 thumbprint as kid. */
export interface NormalizedPublicJwk {
  kid: string;
  alg: MemberKeyAlgorithm;
  publicJwk: JsonObject;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function coordinate(value: unknown): boolean {
  return typeof value === 'string' && COORDINATE.test(value) && Buffer.from(value, 'base64url').length === 32;
}

/**
 * Why `value` is not an acceptable member public key, or undefined when it
 * is: a JWK (RFC 7517) of an Ed25519 or P-256 public key for signatures,
 * with no private members, whose point really is on its curve.
 */
export function publicJwkProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'must be a JSON Web Key object';
  if (JSON.stringify(value).length > MAX_JSON_LENGTH) return 'is too large to be a public key';
  const privateParts = PRIVATE_MEMBERS.filter((name) => name in value);
  if (privateParts.length > 0) {
    return `holds private key material (${privateParts.join(', ')}): send only the public key and keep the private key to yourself`;
  }
  const { kty, crv, alg } = value;
  if (kty === 'OKP') {
    if (crv !== 'Ed25519') return `curve ${String(crv)} is not supported: ${SUPPORTED}`;
    if (!coordinate(value.x)) return 'x must be the 32-byte Ed25519 public key in base64url';
    // Ed25519 is RFC 9864's fully-specified name for the same algorithm; the key is stored as EdDSA.
    if (alg !== undefined && alg !== 'EdDSA' && alg !== 'Ed25519') return 'alg must be EdDSA or Ed25519 for an Ed25519 key';
  } else if (kty === 'EC') {
    if (crv !== 'P-256') return `curve ${String(crv)} is not supported: ${SUPPORTED}`;
    if (!coordinate(value.x) || !coordinate(value.y)) return 'x and y must be 32-byte P-256 coordinates in base64url';
    if (alg !== undefined && alg !== 'ES256') return 'alg must be ES256 for a P-256 key';
  } else if (kty === 'RSA') {
    return `RSA keys are not supported: ${SUPPORTED}`;
  } else if (kty === 'oct') {
    return `symmetric (oct) keys cannot authenticate a member: ${SUPPORTED}`;
  } else {
    return `key type ${typeof kty === 'string' ? kty : 'missing'} is not supported: ${SUPPORTED}`;
  }
  if (value.use !== undefined && value.use !== 'sig') return 'use must be "sig": this key signs client assertions';
  if (value.key_ops !== undefined && !(Array.isArray(value.key_ops) && value.key_ops.every((op) => op === 'verify'))) {
    return 'key_ops may only contain "verify"';
  }
  try {
    createPublicKey({ key: publicMembers(value) as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch {
    return 'is not a valid public key (the point is not on the curve)';
  }
  return undefined;
}

function publicMembers(value: Record<string, unknown>): JsonObject {
  return value.kty === 'EC'
    ? { kty: 'EC', crv: value.crv as string, x: value.x as string, y: value.y as string }
    : { kty: 'OKP', crv: value.crv as string, x: value.x as string };
}

/**
 * Keeps only the public members of a key that passed `publicJwkProblem` and
 * names it by its RFC 7638 thumbprint (any kid the member sent is replaced).
 */
export async function normalizePublicJwk(value: JsonObject): Promise<NormalizedPublicJwk> {
  const problem = publicJwkProblem(value);
  if (problem) throw new Error(`public JWK ${problem}`);
  const core = publicMembers(value);
  const kid = await calculateJwkThumbprint(core as JWK);
  const alg: MemberKeyAlgorithm = core.kty === 'EC' ? 'ES256' : 'EdDSA';
  return { kid, alg, publicJwk: { ...core, kid, alg, use: 'sig' } };
}
