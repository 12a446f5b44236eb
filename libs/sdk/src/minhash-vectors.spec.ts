import { createHmac, hkdfSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { CanonicalizationError } from './errors.js';
import { TEST_FEDERATION_KEY_HEX } from './federation-key.js';
import { MINHASH_SCHEME, keyInfo, templateMinHash, templateShingles, templateSignature } from './minhash.js';

// Regenerate after changing the scheme or adding an input to the JSON:
//   SIGFED_UPDATE_VECTORS=1 npx vitest run --project unit libs/sdk/src/minhash-vectors.spec.ts
// This rewrites the expected outputs in minhash-vectors.json and the table in
// docs/similar-templates.md. A changed band breaks matching with members on the old code,
// so a change of the scheme needs a new scheme version, not new vectors.
const UPDATE = process.env.SIGFED_UPDATE_VECTORS === '1';
const VECTORS_PATH = fileURLToPath(new URL('./minhash-vectors.json', import.meta.url));
const DOCS_PATH = fileURLToPath(new URL('../../../docs/similar-templates.md', import.meta.url));
const TABLE_START = '<!-- minhash-vectors:start (generated from libs/sdk/src/minhash-vectors.json; do not edit by hand) -->';
const TABLE_END = '<!-- minhash-vectors:end -->';

interface Expected {
  shingles: string[];
  values: string[];
  bands: string[];
}
interface Vector {
  note: string;
  input: string;
  expected?: Expected;
  refusedBy?: string;
}
interface Keys {
  shingleKey: string;
  firstPermutation: { a: string; b: string };
  bandKey: string;
}
interface VectorFile {
  description: string;
  scheme: string;
  testKeyHex: string;
  keys?: Keys;
  vectors: Vector[];
}

const file = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as VectorFile;

function keysOf(testKeyHex: string): Keys {
  const key = Buffer.from(testKeyHex, 'hex');
  const derive = (purpose: 'shingle' | 'permutations' | 'band', length: number) =>
    Buffer.from(hkdfSync('sha256', key, 'sigfed-template-signature', keyInfo(MINHASH_SCHEME, purpose), length));
  const permutations = derive('permutations', 16);
  const a = permutations.subarray(0, 8);
  a[7] |= 1;
  return {
    shingleKey: derive('shingle', 32).toString('hex'),
    firstPermutation: { a: a.toString('hex'), b: permutations.subarray(8, 16).toString('hex') },
    bandKey: derive('band', 32).toString('hex'),
  };
}

function actual(vector: Pick<Vector, 'input'>): Pick<Vector, 'expected' | 'refusedBy'> {
  try {
    return {
      expected: {
        shingles: templateShingles(vector.input),
        values: templateMinHash(file.testKeyHex, vector.input),
        bands: [...templateSignature(file.testKeyHex, vector.input).bands],
      },
    };
  } catch (error) {
    if (error instanceof CanonicalizationError) return { refusedBy: error.rule };
    throw error;
  }
}

// Written the way the repository's formatter writes JSON, so `prettier --check` agrees.
async function serialize(data: VectorFile): Promise<string> {
  const options = (await prettier.resolveConfig(VECTORS_PATH)) ?? {};
  return prettier.format(JSON.stringify(data), { ...options, parser: 'json' });
}

function cell(text: string): string {
  return `<code>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '&#124;')}</code>`;
}

function renderTable(data: VectorFile): string {
  const rows = data.vectors.map((vector) => {
    const input = vector.input === '' ? '<em>(empty)</em>' : cell(vector.input);
    if (vector.expected === undefined) return `| ${vector.note} | ${input} | refused: ${cell(vector.refusedBy ?? '')} | | |`;
    const { shingles, values, bands } = vector.expected;
    return `| ${vector.note} | ${input} | ${shingles.map(cell).join('<br>')} | ${cell(values[0])} | ${cell(bands[0])}<br>${cell(bands[31])} |`;
  });
  return [
    TABLE_START,
    '',
    `Test key \`${data.testKeyHex}\`. Derived keys: shingle key \`${data.keys?.shingleKey}\`, band key \`${data.keys?.bandKey}\`, first permutation a = \`${data.keys?.firstPermutation.a}\`, b = \`${data.keys?.firstPermutation.b}\` (64-bit big-endian).`,
    '',
    '| Case | Input | Shingles | Value 0 | Bands 0 and 31 |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    TABLE_END,
  ].join('\n');
}

function docsTable(docs: string): string {
  const start = docs.indexOf(TABLE_START);
  const end = docs.indexOf(TABLE_END);
  if (start === -1 || end === -1) throw new Error(`${DOCS_PATH} lacks the test-vector markers`);
  return docs.slice(start, end + TABLE_END.length);
}

if (UPDATE) {
  const updated: VectorFile = {
    ...file,
    keys: keysOf(file.testKeyHex),
    vectors: file.vectors.map(({ note, input }) => ({ note, input, ...actual({ input }) })),
  };
  writeFileSync(VECTORS_PATH, await serialize(updated));
  Object.assign(file, updated);
  if (existsSync(DOCS_PATH)) {
    const docs = readFileSync(DOCS_PATH, 'utf8');
    writeFileSync(DOCS_PATH, docs.replace(docsTable(docs), renderTable(updated)));
  }
}

describe('published template signature vectors', () => {
  it('use the published test key and the current scheme', () => {
    expect(file.testKeyHex).toBe(TEST_FEDERATION_KEY_HEX);
    expect(file.scheme).toBe(MINHASH_SCHEME);
  });

  it('list the derived keys', () => {
    expect(file.keys).toEqual(keysOf(file.testKeyHex));
  });

  it('hold both signed and refused inputs', () => {
    expect(file.vectors.some((vector) => vector.expected !== undefined)).toBe(true);
    expect(file.vectors.some((vector) => vector.refusedBy !== undefined)).toBe(true);
  });

  it.each(file.vectors.map((vector) => [vector.note, vector] as const))('%s', (_note, vector) => {
    expect(actual(vector)).toEqual(vector.refusedBy !== undefined ? { refusedBy: vector.refusedBy } : { expected: vector.expected });
  });

  it('hold bands that plain HMAC-SHA256 of the band index and its 4 values reproduces', () => {
    const bandKey = Buffer.from(keysOf(file.testKeyHex).bandKey, 'hex');
    const signed = file.vectors.flatMap((vector) => (vector.expected === undefined ? [] : [vector.expected]));
    for (const { values, bands } of signed) {
      bands.forEach((band, i) => {
        const message = Buffer.concat([Buffer.of(i), Buffer.from(values.slice(4 * i, 4 * i + 4).join(''), 'hex')]);
        expect(createHmac('sha256', bandKey).update(message).digest('hex')).toBe(band);
      });
    }
  });

  it('are stored exactly as the generator writes them', async () => {
    expect(readFileSync(VECTORS_PATH, 'utf8')).toBe(await serialize(file));
  });

  it('match the table in docs/similar-templates.md', () => {
    expect(docsTable(readFileSync(DOCS_PATH, 'utf8'))).toBe(renderTable(file));
  });
});
