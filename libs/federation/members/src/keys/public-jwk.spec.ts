import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '@app/common';
import { normalizePublicJwk, publicJwkProblem } from './public-jwk.js';

const ed = async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { pub: await exportJWK(pair.publicKey), priv: await exportJWK(pair.privateKey) };
};

describe('publicJwkProblem', () => {
  it('accepts Ed25519 and P-256 public keys, with or without alg/use/kid', async () => {
    const { pub } = await ed();
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    expect(publicJwkProblem(pub)).toBeUndefined();
    expect(publicJwkProblem({ ...pub, alg: 'EdDSA', use: 'sig', kid: 'mine', key_ops: ['verify'] })).toBeUndefined();
    // RFC 9864's fully-specified name for the same algorithm.
    expect(publicJwkProblem({ ...pub, alg: 'Ed25519' })).toBeUndefined();
    expect(publicJwkProblem(ec)).toBeUndefined();
    expect(publicJwkProblem({ ...ec, alg: 'ES256' })).toBeUndefined();
  });

  it.each([
    ['a private Ed25519 key', async () => (await ed()).priv, /private key material \(d\)/],
    [
      'an RSA private key',
      () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
      /private key material \(d, p, q, dp, dq, qi\)/,
    ],
    [
      'an RSA public key',
      () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }),
      /RSA keys are not supported/,
    ],
    ['a symmetric key', () => ({ kty: 'oct', k: 'AAAA' }), /private key material \(k\)/],
    [
      'secp256k1',
      () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' }),
      /curve secp256k1 is not supported/,
    ],
    ['Ed448', () => generateKeyPairSync('ed448').publicKey.export({ format: 'jwk' }), /curve Ed448 is not supported/],
    ['no key type', () => ({ x: 'y' }), /key type missing/],
    ['an array', () => [1, 2], /must be a JSON Web Key object/],
    ['encryption use', async () => ({ ...(await ed()).pub, use: 'enc' }), /use must be "sig"/],
    ['signing key_ops', async () => ({ ...(await ed()).pub, key_ops: ['sign'] }), /key_ops may only contain "verify"/],
    ['a mismatched alg', async () => ({ ...(await ed()).pub, alg: 'ES256' }), /alg must be EdDSA/],
    ['a short x', () => ({ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }), /32-byte/],
  ])('refuses %s', async (_name, make, message) => {
    expect(publicJwkProblem(await make())).toMatch(message);
  });

  it('refuses a P-256 point that is not on the curve', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    expect(publicJwkProblem({ ...ec, y: ec.x })).toMatch(/not a valid public key/);
  });
});

describe('normalizePublicJwk', () => {
  it('stores an Ed25519 key sent with alg Ed25519 as EdDSA, the name assertions are checked against', async () => {
    const { pub } = await ed();
    const key = await normalizePublicJwk({ ...pub, alg: 'Ed25519' });
    expect(key.alg).toBe('EdDSA');
    expect(key.publicJwk.alg).toBe('EdDSA');
  });

  it('keeps only the public members and names the key by its RFC 7638 thumbprint', async () => {
    const { pub } = await ed();
    const normalized = await normalizePublicJwk({ ...pub, kid: 'chosen-by-member', ext: true } as JsonObject);
    const kid = await calculateJwkThumbprint(pub);
    expect(normalized).toEqual({ kid, alg: 'EdDSA', publicJwk: { kty: 'OKP', crv: 'Ed25519', x: pub.x, kid, alg: 'EdDSA', use: 'sig' } });
  });

  it('refuses what publicJwkProblem refuses', async () => {
    await expect(normalizePublicJwk({ kty: 'RSA' })).rejects.toThrow(/RSA/);
  });
});
