import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { TEST_FEDERATION_KEY_HEX, deriveHmac } from './federation-key.js';
import { blindTokens, fixedScalars, toBase64Url, twoKeyInfo } from './two-key.js';
import type { IndicatorType } from './types.js';

// Whole-chain vectors of the two-key scheme: canonical string -> HMAC under the test
// federation key -> blinded with a fixed blind -> evaluated with a fixed server test key ->
// verified and finalized -> token. Regenerate after changing the inputs in the JSON:
//   SIGFED_UPDATE_VECTORS=1 npx vitest run --project unit libs/sdk/src/two-key-vectors.spec.ts
// which rewrites the computed values in two-key-vectors.json and the block in
// docs/canonicalization.md.
const UPDATE = process.env.SIGFED_UPDATE_VECTORS === '1';
const VECTORS_PATH = fileURLToPath(new URL('./two-key-vectors.json', import.meta.url));
const DOCS_PATH = fileURLToPath(new URL('../../../docs/canonicalization.md', import.meta.url));
const BLOCK_START = '<!-- two-key-vectors:start (generated from libs/sdk/src/two-key-vectors.json; do not edit by hand) -->';
const BLOCK_END = '<!-- two-key-vectors:end -->';

interface Item {
  canonical: string;
  /** Scalar, 32 bytes little-endian hex, as in RFC 9497's vectors. */
  blind: string;
  hmac?: string;
  blindedElement?: string;
  evaluatedElement?: string;
  output?: string;
  token?: string;
}
interface Vector {
  note: string;
  type: IndicatorType;
  keyEpoch: string;
  info?: string;
  proofRandomScalar: string;
  items: Item[];
  proof?: string;
}
interface VectorFile {
  description: string;
  algorithm: string;
  testFederationKeyHex: string;
  server: { seed: string; keyInfo: string; secretKey?: string; publicKey?: string };
  vectors: Vector[];
}

const file = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as VectorFile;
const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function serverKeys(data: VectorFile) {
  return ristretto255_oprf.poprf(new Uint8Array(0)).deriveKeyPair(hex(data.server.seed), hex(data.server.keyInfo));
}

/** Runs one vector through the SDK (HMAC, blind, finalize) and the RFC 9497 server step. */
function compute(data: VectorFile, vector: Vector): Vector {
  const keys = serverKeys(data);
  const hmacs = vector.items.map((item) => deriveHmac(data.testFederationKeyHex, item.canonical));
  const blinded = blindTokens(
    toBase64Url(keys.publicKey),
    vector.type,
    vector.keyEpoch,
    hmacs,
    fixedScalars(vector.items.map((i) => i.blind)),
  );
  const answer = ristretto255_oprf.poprf(twoKeyInfo(vector.type, vector.keyEpoch)).blindEvaluateBatch(
    keys.secretKey,
    blinded.blindedElements.map((e) => Buffer.from(e, 'base64url')),
    fixedScalars([vector.proofRandomScalar]),
  );
  const evaluatedElements = answer.evaluated.map(toBase64Url);
  const outputs = blinded.finalizeOutputs({ evaluatedElements, proof: toBase64Url(answer.proof) });
  return {
    note: vector.note,
    type: vector.type,
    keyEpoch: vector.keyEpoch,
    info: new TextDecoder().decode(twoKeyInfo(vector.type, vector.keyEpoch)),
    proofRandomScalar: vector.proofRandomScalar,
    items: vector.items.map((item, i) => ({
      canonical: item.canonical,
      blind: item.blind,
      hmac: toHex(hmacs[i]),
      blindedElement: blinded.blindedElements[i],
      evaluatedElement: evaluatedElements[i],
      output: toHex(outputs[i]),
      token: toHex(outputs[i].subarray(0, 32)),
    })),
    proof: toBase64Url(answer.proof),
  };
}

function renderBlock(data: VectorFile): string {
  const keys = serverKeys(data);
  const lines = [
    BLOCK_START,
    '',
    '```text',
    `federation key (hex)      = ${data.testFederationKeyHex}`,
    `server seed (hex)         = ${data.server.seed}`,
    `server keyInfo (hex)      = ${data.server.keyInfo}`,
    `server skS (hex, LE)      = ${toHex(keys.secretKey)}`,
    `server pkS (base64url)    = ${toBase64Url(keys.publicKey)}`,
    '```',
  ];
  for (const vector of data.vectors) {
    lines.push(
      '',
      `#### ${vector.note}`,
      '',
      '```text',
      `type                      = ${vector.type}`,
      `keyEpoch                  = ${vector.keyEpoch}`,
    );
    lines.push(`info (UTF-8)              = ${vector.info}`);
    vector.items.forEach((item, i) => {
      const at = vector.items.length > 1 ? `[${i}]` : '';
      lines.push(
        `canonical${at}`.padEnd(26) + `= ${item.canonical}`,
        `hmac${at} (hex)`.padEnd(26) + `= ${item.hmac}`,
        `blind${at} (hex, LE)`.padEnd(26) + `= ${item.blind}`,
        `blindedElement${at}`.padEnd(26) + `= ${item.blindedElement}`,
        `evaluatedElement${at}`.padEnd(26) + `= ${item.evaluatedElement}`,
        `output${at} (hex)`.padEnd(26) + `= ${item.output}`,
        `token${at}`.padEnd(26) + `= ${item.token}`,
      );
    });
    lines.push(`proofRandomScalar (hex)   = ${vector.proofRandomScalar}`, `proof (base64url)         = ${vector.proof}`, '```');
  }
  lines.push('', BLOCK_END);
  return lines.join('\n');
}

function docsBlock(docs: string): string {
  const start = docs.indexOf(BLOCK_START);
  const end = docs.indexOf(BLOCK_END);
  if (start === -1 || end === -1) throw new Error(`${DOCS_PATH} lacks the two-key vector markers`);
  return docs.slice(start, end + BLOCK_END.length);
}

const serialize = (data: VectorFile) => `${JSON.stringify(data, null, 2)}\n`;

if (UPDATE) {
  const keys = serverKeys(file);
  const updated: VectorFile = {
    ...file,
    server: { ...file.server, secretKey: toHex(keys.secretKey), publicKey: toBase64Url(keys.publicKey) },
    vectors: file.vectors.map((vector) => compute(file, vector)),
  };
  writeFileSync(VECTORS_PATH, serialize(updated));
  Object.assign(file, updated);
  const docs = readFileSync(DOCS_PATH, 'utf8');
  writeFileSync(DOCS_PATH, docs.replace(docsBlock(docs), renderBlock(updated)));
}

describe('two-key whole-chain vectors', () => {
  it('use the published test federation key and the RFC 9497 POPRF test key', () => {
    expect(file.testFederationKeyHex).toBe(TEST_FEDERATION_KEY_HEX);
    // RFC 9497 Appendix A.1.3 (ristretto255-SHA512, POPRF): skSm and pkSm.
    expect(file.server.secretKey).toBe('145c79c108538421ac164ecbe131942136d5570b16d8bf41a24d4337da981e07');
    expect(Buffer.from(file.server.publicKey!, 'base64url').toString('hex')).toBe(
      'c647bef38497bc6ec077c22af65b696efa43bff3b4a1975a3e8e0a1c5a79d631',
    );
  });

  it('include a batch of more than one element', () => {
    expect(file.vectors.some((vector) => vector.items.length > 1)).toBe(true);
  });

  it.each(file.vectors.map((vector) => [vector.note, vector] as const))('%s', (_note, vector) => {
    expect(compute(file, vector)).toEqual(vector);
  });

  it('give tokens the server derives without blinding (the blind cancels out)', () => {
    const keys = serverKeys(file);
    for (const vector of file.vectors) {
      for (const item of vector.items) {
        const output = ristretto255_oprf.poprf(twoKeyInfo(vector.type, vector.keyEpoch)).evaluate(keys.secretKey, hex(item.hmac!));
        expect(toHex(output)).toBe(item.output);
      }
    }
  });

  it('are stored exactly as the generator writes them', () => {
    expect(readFileSync(VECTORS_PATH, 'utf8')).toBe(serialize(file));
  });

  it.skipIf(!existsSync(DOCS_PATH))('match the block in docs/canonicalization.md', () => {
    expect(docsBlock(readFileSync(DOCS_PATH, 'utf8'))).toBe(renderBlock(file));
  });
});
