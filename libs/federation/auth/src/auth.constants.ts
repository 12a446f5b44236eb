/**
 * Algorithms a client assertion may use, each for one kind of registered key (KEY_ALGORITHM).
 * `Ed25519` is RFC 9864's fully-specified name for EdDSA on Ed25519 and what current clients
 * (openid-client 6) send; `EdDSA`, the polymorphic name RFC 9864 deprecates, stays accepted for
 * the clients and keys registered before it.
 */
export const ASSERTION_ALGORITHMS = ['Ed25519', 'EdDSA', 'ES256'] as const;
export type AssertionAlgorithm = (typeof ASSERTION_ALGORITHMS)[number];

/** The `alg` a member key is registered with (EdDSA for every Ed25519 key), by assertion algorithm. */
export const KEY_ALGORITHM: Readonly<Record<AssertionAlgorithm, 'EdDSA' | 'ES256'>> = {
  Ed25519: 'EdDSA',
  EdDSA: 'EdDSA',
  ES256: 'ES256',
};

/** The one algorithm the server signs access tokens with. */
export const ACCESS_TOKEN_ALGORITHM = 'EdDSA';
/** `typ` header of access tokens (RFC 9068). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** RFC 7523 client assertion type. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Longest accepted client-assertion lifetime: `exp` at most this far ahead (plus skew). */
export const ASSERTION_MAX_LIFETIME_SECONDS = 300;
/** Clock difference tolerated between members and the server. */
export const CLOCK_SKEW_SECONDS = 30;
/** Longest accepted `jti`. */
export const JTI_MAX_LENGTH = 256;
/** Longest accepted assertion or access token, in characters. */
export const MAX_JWT_LENGTH = 8_192;

/** Key ids (RFC 7638 thumbprints are 43 characters); anything else is refused before any lookup. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Client ids: `sf_` and 22 base64url characters (16 random bytes). */
export const CLIENT_ID_PATTERN = /^sf_[A-Za-z0-9_-]{22}$/;
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** How long a process trusts its copy of the signing keys before reading them again. */
export const SIGNING_KEY_CACHE_MS = 5_000;
/**
 * A retired signing key stays published (and accepted) for the token
 * lifetime plus this margin, so tokens it signed live out their lifetime.
 */
export const RETIRED_KEY_MARGIN_SECONDS = 300;
