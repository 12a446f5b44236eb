import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { CliFailure } from './commands/hash.command.js';

/** The key types members can register. */
export type MemberKeyAlg = 'EdDSA' | 'ES256';

/** Checks an `--alg` value. */
export function memberKeyAlg(text: string): MemberKeyAlg {
  if (text !== 'EdDSA' && text !== 'ES256') throw new CliFailure('--alg must be EdDSA or ES256');
  return text;
}

/**
 * A fresh key pair made here: the public JWK to register, and the private
 * JWK (with the RFC 7638 thumbprint as `kid`, as the server computes it) for
 * the credentials file.
 */
export async function newMemberKeyPair(alg: MemberKeyAlg): Promise<{ publicJwk: JWK; privateJwk: JWK; kid: string }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), alg, use: 'sig' };
  const kid = await calculateJwkThumbprint(publicJwk);
  return { publicJwk, privateJwk: { ...(await exportJWK(privateKey)), alg, kid }, kid };
}

/** The kid of a private JWK: its `kid`, else the thumbprint of its public part. */
export async function kidOf(privateJwk: JWK): Promise<string> {
  if (typeof privateJwk.kid === 'string' && privateJwk.kid !== '') return privateJwk.kid;
  const { d: _d, ...rest } = privateJwk;
  return calculateJwkThumbprint(rest);
}
