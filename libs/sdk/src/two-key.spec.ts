import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { OprfVerificationError } from './errors.js';
import { TEST_FEDERATION_KEY_HEX, deriveHmac } from './federation-key.js';
import {
  blindPoprf,
  blindTokens,
  fixedScalars,
  fromBase64Url,
  parseOprfPublicKey,
  toBase64Url,
  twoKeyInfo,
  type RandomBytes,
} from './two-key.js';

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));

// RFC 9497, Appendix A.1.3: ristretto255-SHA512, POPRF mode (identical to draft-irtf-cfrg-voprf
// at cfrg/draft-irtf-cfrg-voprf 43da59f). Copied as data; every value is hex.
const RFC9497_POPRF_RISTRETTO255_SHA512 = {
  seed: 'a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3',
  keyInfo: '74657374206b6579',
  skSm: '145c79c108538421ac164ecbe131942136d5570b16d8bf41a24d4337da981e07',
  pkSm: 'c647bef38497bc6ec077c22af65b696efa43bff3b4a1975a3e8e0a1c5a79d631',
  vectors: [
    {
      name: 'Test Vector 1, Batch Size 1',
      input: ['00'],
      info: '7465737420696e666f',
      blind: ['64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706'],
      blindedElement: ['c8713aa89241d6989ac142f22dba30596db635c772cbf25021fdd8f3d461f715'],
      evaluationElement: ['1a4b860d808ff19624731e67b5eff20ceb2df3c3c03b906f5693e2078450d874'],
      proof:
        '41ad1a291aa02c80b0915fbfbb0c0afa15a57e2970067a602ddb9e8fd6b7100de32e1ecff943a36f0b10e3dae6bd266cdeb8adf825d86ef27dbc6c0e30c52206',
      proofRandomScalar: '222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e',
      output: [
        'ca688351e88afb1d841fde4401c79efebb2eb75e7998fa9737bd5a82a152406d38bd29f680504e54fd4587eddcf2f37a2617ac2fbd2993f7bdf45442ace7d221',
      ],
    },
    {
      name: 'Test Vector 2, Batch Size 1',
      input: ['5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a'],
      info: '7465737420696e666f',
      blind: ['64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706'],
      blindedElement: ['f0f0b209dd4d5f1844dac679acc7761b91a2e704879656cb7c201e82a99ab07d'],
      evaluationElement: ['8c3c9d064c334c6991e99f286ea2301d1bde170b54003fb9c44c6d7bd6fc1540'],
      proof:
        '4c39992d55ffba38232cdac88fe583af8a85441fefd7d1d4a8d0394cd1de77018bf135c174f20281b3341ab1f453fe72b0293a7398703384bed822bfdeec8908',
      proofRandomScalar: '222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e',
      output: [
        '7c6557b276a137922a0bcfc2aa2b35dd78322bd500235eb6d6b6f91bc5b56a52de2d65612d503236b321f5d0bebcbc52b64b92e426f29c9b8b69f52de98ae507',
      ],
    },
    {
      name: 'Test Vector 3, Batch Size 2',
      input: ['00', '5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a'],
      info: '7465737420696e666f',
      blind: [
        '64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706',
        '222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e',
      ],
      blindedElement: [
        'c8713aa89241d6989ac142f22dba30596db635c772cbf25021fdd8f3d461f715',
        '423a01c072e06eb1cce96d23acce06e1ea64a609d7ec9e9023f3049f2d64e50c',
      ],
      evaluationElement: [
        '1a4b860d808ff19624731e67b5eff20ceb2df3c3c03b906f5693e2078450d874',
        'aa1f16e903841036e38075da8a46655c94fc92341887eb5819f46312adfc0504',
      ],
      proof:
        '43fdb53be399cbd3561186ae480320caa2b9f36cca0e5b160c4a677b8bbf4301b28f12c36aa8e11e5a7ef551da0781e863a6dc8c0b2bf5a149c9e00621f02006',
      proofRandomScalar: '419c4f4f5052c53c45f3da494d2b67b220d02118e0857cdbcf037f9ea84bbe0c',
      output: [
        'ca688351e88afb1d841fde4401c79efebb2eb75e7998fa9737bd5a82a152406d38bd29f680504e54fd4587eddcf2f37a2617ac2fbd2993f7bdf45442ace7d221',
        '7c6557b276a137922a0bcfc2aa2b35dd78322bd500235eb6d6b6f91bc5b56a52de2d65612d503236b321f5d0bebcbc52b64b92e426f29c9b8b69f52de98ae507',
      ],
    },
  ],
};

const rfc = RFC9497_POPRF_RISTRETTO255_SHA512;
const b64 = (hexText: string) => toBase64Url(hex(hexText));

describe('RFC 9497 POPRF ristretto255-SHA512 vectors (Appendix A.1.3)', () => {
  it('derive the server key the RFC lists', () => {
    const keys = ristretto255_oprf.poprf(new Uint8Array(0)).deriveKeyPair(hex(rfc.seed), hex(rfc.keyInfo));
    expect(Buffer.from(keys.secretKey).toString('hex')).toBe(rfc.skSm);
    expect(Buffer.from(keys.publicKey).toString('hex')).toBe(rfc.pkSm);
    expect(Buffer.from(parseOprfPublicKey(b64(rfc.pkSm))).toString('hex')).toBe(rfc.pkSm);
  });

  it.each(rfc.vectors.map((v) => [v.name, v] as const))(
    '%s: blinded elements, proof check and outputs through the SDK',
    (_name, vector) => {
      const blinded = blindPoprf(b64(rfc.pkSm), hex(vector.info), vector.input.map(hex), fixedScalars(vector.blind));
      expect(blinded.blindedElements).toEqual(vector.blindedElement.map(b64));
      // The server's side, as the RFC computes it, so the proof is the listed one.
      const suite = ristretto255_oprf.poprf(hex(vector.info));
      const evaluation = suite.blindEvaluateBatch(hex(rfc.skSm), vector.blindedElement.map(hex), fixedScalars([vector.proofRandomScalar]));
      expect(evaluation.evaluated.map((e) => Buffer.from(e).toString('hex'))).toEqual(vector.evaluationElement);
      expect(Buffer.from(evaluation.proof).toString('hex')).toBe(vector.proof);
      const outputs = blinded.finalizeOutputs({ evaluatedElements: vector.evaluationElement.map(b64), proof: b64(vector.proof) });
      expect(outputs.map((o) => Buffer.from(o).toString('hex'))).toEqual(vector.output);
    },
  );

  it('refuse the listed evaluation when one proof byte changes', () => {
    const vector = rfc.vectors[2];
    const blinded = blindPoprf(b64(rfc.pkSm), hex(vector.info), vector.input.map(hex), fixedScalars(vector.blind));
    const proof = hex(vector.proof);
    proof[5] ^= 1;
    expect(() => blinded.finalizeOutputs({ evaluatedElements: vector.evaluationElement.map(b64), proof: toBase64Url(proof) })).toThrow(
      /does not verify against the pinned public key/,
    );
  });
});

describe('blindTokens / finalizeTokens', () => {
  const { secretKey, publicKey } = ristretto255_oprf.poprf(new Uint8Array(0)).deriveKeyPair(hex(rfc.seed), hex(rfc.keyInfo));
  const pk = toBase64Url(publicKey);
  const hmacs = ['ip4:203.0.113.0/24', 'ip4:198.51.100.0/24'].map((c) => deriveHmac(TEST_FEDERATION_KEY_HEX, c));
  const serve = (type: 'IP_RANGE' | 'ACCOUNT_SIGNAL', epoch: string, blinded: readonly string[], key = secretKey) => {
    const answer = ristretto255_oprf.poprf(twoKeyInfo(type, epoch)).blindEvaluateBatch(
      key,
      blinded.map((e) => fromBase64Url(e, 32, 'e')),
    );
    return { evaluatedElements: answer.evaluated.map(toBase64Url), proof: toBase64Url(answer.proof) };
  };

  it('give the token the server computes without blinding, whatever the blinds', () => {
    const direct = hmacs.map((h) =>
      Buffer.from(ristretto255_oprf.poprf(twoKeyInfo('IP_RANGE', '2027-q1')).evaluate(secretKey, h).subarray(0, 32)).toString('hex'),
    );
    for (let run = 0; run < 2; run++) {
      const blinded = blindTokens(pk, 'IP_RANGE', '2027-q1', hmacs);
      expect(blinded.finalize(serve('IP_RANGE', '2027-q1', blinded.blindedElements))).toEqual(direct);
    }
  });

  it('blind the same HMAC differently each time', () => {
    const a = blindTokens(pk, 'IP_RANGE', '2027-q1', hmacs);
    const b = blindTokens(pk, 'IP_RANGE', '2027-q1', hmacs);
    expect(a.blindedElements[0]).not.toBe(b.blindedElements[0]);
  });

  it('bind tokens to type and epoch', () => {
    const tokenOf = (type: 'IP_RANGE' | 'ACCOUNT_SIGNAL', epoch: string) => {
      const blinded = blindTokens(pk, type, epoch, hmacs.slice(0, 1));
      return blinded.finalize(serve(type, epoch, blinded.blindedElements))[0];
    };
    const base = tokenOf('IP_RANGE', '2027-q1');
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenOf('IP_RANGE', '2027-q2')).not.toBe(base);
    expect(tokenOf('ACCOUNT_SIGNAL', '2027-q1')).not.toBe(base);
  });

  it('refuse an evaluation under another key, another info, or with the elements reordered', () => {
    const other = ristretto255_oprf.poprf(new Uint8Array(0)).generateKeyPair().secretKey;
    const cases = [
      (b: readonly string[]) => serve('IP_RANGE', '2027-q1', b, other),
      (b: readonly string[]) => serve('IP_RANGE', '2027-q2', b),
      (b: readonly string[]) => {
        const answer = serve('IP_RANGE', '2027-q1', b);
        return { ...answer, evaluatedElements: [...answer.evaluatedElements].reverse() };
      },
    ];
    for (const answer of cases) {
      const blinded = blindTokens(pk, 'IP_RANGE', '2027-q1', hmacs);
      expect(() => blinded.finalize(answer(blinded.blindedElements))).toThrow(OprfVerificationError);
    }
  });

  it('refuse malformed answers and keys with a clear error', () => {
    const blinded = blindTokens(pk, 'IP_RANGE', '2027-q1', hmacs);
    const good = serve('IP_RANGE', '2027-q1', blinded.blindedElements);
    expect(() => blinded.finalize({ ...good, evaluatedElements: good.evaluatedElements.slice(1) })).toThrow(
      /returned 1 evaluated elements for 2/,
    );
    expect(() => blinded.finalize({ ...good, proof: `${good.proof}=` })).toThrow(/proof must be unpadded base64url of 64 bytes/);
    expect(() => blinded.finalize({ ...good, evaluatedElements: [good.evaluatedElements[0], toBase64Url(new Uint8Array(32))] })).toThrow(
      OprfVerificationError,
    );
    expect(() => parseOprfPublicKey(toBase64Url(new Uint8Array(32)))).toThrow(/identity/);
    expect(() => parseOprfPublicKey('not a key')).toThrow(/base64url of 32 bytes/);
    expect(() => blindTokens(pk, 'IP_RANGE', '2027-q1', [new Uint8Array(31)])).toThrow(/hmacs\[0\] must be 32 bytes/);
  });

  it('finalize a batch only once, so blinds are not kept around', () => {
    const blinded = blindTokens(pk, 'IP_RANGE', '2027-q1', hmacs);
    const answer = serve('IP_RANGE', '2027-q1', blinded.blindedElements);
    blinded.finalize(answer);
    expect(() => blinded.finalize(answer)).toThrow(/finalized already/);
  });

  it('accept a fixed random source for vectors', () => {
    const random: RandomBytes = fixedScalars(['64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706']);
    const blinded = blindTokens(pk, 'IP_RANGE', '2027-q1', hmacs.slice(0, 1), random);
    const again = blindTokens(pk, 'IP_RANGE', '2027-q1', hmacs.slice(0, 1), random);
    expect(blinded.blindedElements).toEqual(again.blindedElements);
  });
});
