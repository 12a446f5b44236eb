import type { JWK } from 'jose';
import { isValidKeyEpoch } from '../federation-key.js';
import { parseOprfPublicKey } from '../two-key.js';
import { assertionAlgorithm } from './token.js';

/**
 * A member's API credentials, as onboarding writes them to a file (`bootstrap-admin --out`, or
 * the member's own file after `acceptInvitation`). The private key never leaves the member.
 */
export interface SigfedCredentials {
  readonly clientId: string;
  /** The member's private key as a JWK: OKP/Ed25519 or EC/P-256, including `d`. */
  readonly privateJwk: JWK;
  /** The server's issuer URL: the `aud` of client assertions and the default server address. */
  readonly issuer: string;
  /**
   * Pinned OPRF public keys of TWO_KEY epochs, epoch label to unpadded base64url key, as the
   * federation announced them (see docs/canonicalization.md, "Pinning the public key").
   */
  readonly oprfPublicKeys?: Readonly<Record<string, string>>;
}

/**
 * Parses and checks a credentials file's JSON. Messages name the problem but never echo the
 * key, since they end up in terminals and logs.
 */
export function parseCredentials(json: string): SigfedCredentials {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new TypeError('the credentials file is not JSON');
  }
  const { clientId, privateJwk, issuer, oprfPublicKeys } = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  if (typeof clientId !== 'string' || clientId === '') throw new TypeError('the credentials file has no "clientId"');
  if (typeof privateJwk !== 'object' || privateJwk === null || Array.isArray(privateJwk)) {
    throw new TypeError('the credentials file has no "privateJwk" object');
  }
  assertionAlgorithm(privateJwk as JWK);
  if (typeof (privateJwk as JWK).d !== 'string') throw new TypeError('"privateJwk" in the credentials file has no private part ("d")');
  if (typeof issuer !== 'string' || !/^https?:\/\/[^/\s]+/.test(issuer)) {
    throw new TypeError('the credentials file has no "issuer" URL (http:// or https://)');
  }
  if (oprfPublicKeys === undefined) return { clientId, privateJwk: privateJwk as JWK, issuer };
  return { clientId, privateJwk: privateJwk as JWK, issuer, oprfPublicKeys: parsePinnedKeys(oprfPublicKeys) };
}

function parsePinnedKeys(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('"oprfPublicKeys" in the credentials file must be an object of epoch label to public key');
  }
  const keys: Record<string, string> = {};
  for (const [epoch, key] of Object.entries(value)) {
    if (!isValidKeyEpoch(epoch))
      throw new TypeError(`"oprfPublicKeys" in the credentials file: ${JSON.stringify(epoch)} is not a key epoch label`);
    try {
      parseOprfPublicKey(key as string);
    } catch (error) {
      throw new TypeError(`"oprfPublicKeys.${epoch}" in the credentials file: ${(error as Error).message}`);
    }
    keys[epoch] = key as string;
  }
  return keys;
}
