import { createHmac } from 'node:crypto';
import { FederationKeyError } from './errors.js';
import { kindOfCanonical } from './types.js';

/** Fewest key bytes accepted: HMAC-SHA256 keys shorter than the hash output weaken it. */
export const FEDERATION_KEY_MIN_BYTES = 32;

/**
 * The published test key: the 32 bytes 0x00..0x1f in hex. Test vectors use it so other
 * implementations can check themselves. Never use it for real indicators.
 */
export const TEST_FEDERATION_KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

/** Key epochs: 1-32 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit. */
export const KEY_EPOCH_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;

/** Tokens: 64 lowercase hex characters. */
export const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Whether a string is a valid key epoch label such as `2026-q4`. */
export function isValidKeyEpoch(epoch: string): boolean {
  return KEY_EPOCH_PATTERN.test(epoch);
}

/** Whether a string is a well-formed token (64 lowercase hex characters). */
export function isValidToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/**
 * Decodes a federation key of at least 32 bytes written as hex (even length, either case) or
 * as base64/base64url (padding optional). Text that is valid hex is always read as hex.
 */
export function parseFederationKey(text: string): Uint8Array {
  const trimmed = text.trim();
  let bytes: Buffer;
  if (HEX.test(trimmed) && trimmed.length % 2 === 0) {
    bytes = Buffer.from(trimmed, 'hex');
  } else if (BASE64.test(trimmed) && trimmed.replace(/=+$/, '').length % 4 !== 1) {
    // Node's decoder accepts both alphabets and silently skips junk; the regex above is what
    // actually rejects malformed text.
    bytes = Buffer.from(trimmed, 'base64');
  } else {
    throw new FederationKeyError('a federation key must be hex or base64url text');
  }
  assertKeyLength(bytes.length);
  return new Uint8Array(bytes);
}

/**
 * Derives the token of a canonical string: HMAC-SHA256(key, UTF-8(canonical)) as 64 lowercase
 * hex characters. A string key is decoded with `parseFederationKey`.
 */
export function deriveToken(federationKey: Uint8Array | string, canonical: string): string {
  return Buffer.from(deriveHmac(federationKey, canonical)).toString('hex');
}

/**
 * The 32 raw bytes of HMAC-SHA256(key, UTF-8(canonical)): the token of an HMAC epoch before
 * hex, and the input of the two-key scheme (see `blindTokens`).
 */
export function deriveHmac(federationKey: Uint8Array | string, canonical: string): Uint8Array {
  const key = typeof federationKey === 'string' ? parseFederationKey(federationKey) : federationKey;
  assertKeyLength(key.length);
  // Hashing a raw value by mistake would leak nothing but would match nothing either; failing
  // loudly is kinder than silently sharing useless tokens.
  if (kindOfCanonical(canonical) === undefined) {
    throw new TypeError(`deriveToken expects a canonical string (see canonicalize), got ${JSON.stringify(canonical.slice(0, 40))}`);
  }
  return new Uint8Array(createHmac('sha256', key).update(canonical, 'utf8').digest());
}

function assertKeyLength(length: number): void {
  if (length < FEDERATION_KEY_MIN_BYTES) {
    throw new FederationKeyError(`a federation key needs at least ${FEDERATION_KEY_MIN_BYTES} bytes, got ${length}`);
  }
}
