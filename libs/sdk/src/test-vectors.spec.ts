import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CanonicalizationError } from './errors.js';
import { TEST_FEDERATION_KEY_HEX } from './federation-key.js';
import { hashIndicator } from './indicator.js';
import { INDICATOR_TYPES, type IndicatorKind, type IndicatorType, type IndicatorValue } from './types.js';

// Regenerate after changing a rule or adding an input to the JSON:
//   SIGFED_UPDATE_VECTORS=1 npx vitest run --project unit libs/sdk/src/test-vectors.spec.ts
// This rewrites the expected outputs in test-vectors.json and the table in
// docs/canonicalization.md; review the diff, since every changed token breaks matching with
// members still running the old rules.
const UPDATE = process.env.SIGFED_UPDATE_VECTORS === '1';
const VECTORS_PATH = fileURLToPath(new URL('./test-vectors.json', import.meta.url));
const DOCS_PATH = fileURLToPath(new URL('../../../docs/canonicalization.md', import.meta.url));
const TABLE_START = '<!-- test-vectors:start (generated from libs/sdk/src/test-vectors.json; do not edit by hand) -->';
const TABLE_END = '<!-- test-vectors:end -->';

interface ExpectedForm {
  kind: IndicatorKind;
  canonical: string;
  token: string;
}
interface Vector {
  type: IndicatorType;
  note: string;
  input: IndicatorValue;
  expected?: ExpectedForm[];
  refusedBy?: string;
}
interface VectorFile {
  description: string;
  algorithm: string;
  testKeyHex: string;
  vectors: Vector[];
}

const file = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as VectorFile;

function actual(vector: Vector): Pick<Vector, 'expected' | 'refusedBy'> {
  try {
    return {
      expected: hashIndicator(file.testKeyHex, vector.type, vector.input).map(({ kind, canonical, token }) => ({ kind, canonical, token })),
    };
  } catch (error) {
    if (error instanceof CanonicalizationError) return { refusedBy: error.rule };
    throw error;
  }
}

// Invisible and combining characters are escaped so the file and the docs show what is there.
function escapeInvisible(text: string, escapeSpaces: boolean): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Z}\p{M}\p{Cs}]/gu, (char, offset: number) => {
    if (char === ' ' && !(escapeSpaces && (offset === 0 || offset === text.length - 1 || text[offset + 1] === ' '))) return ' ';
    // Escape every UTF-16 unit so astral characters come out as a valid JSON surrogate pair.
    return char
      .split('')
      .map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .join('');
  });
}

function serialize(data: VectorFile): string {
  const json = JSON.stringify(data, null, 2).replace(/"(?:[^"\\]|\\.)*"/g, (literal) => escapeInvisible(literal, false));
  return `${json}\n`;
}

function cell(text: string): string {
  const html = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '&#124;');
  return `<code>${html}</code>`;
}

function renderTable(data: VectorFile): string {
  const sections = INDICATOR_TYPES.map((type) => {
    const rows = data.vectors
      .filter((vector) => vector.type === type)
      .map((vector) => {
        const input = typeof vector.input === 'string' ? escapeInvisible(vector.input, true) : JSON.stringify(vector.input);
        const outputs =
          vector.refusedBy !== undefined
            ? [`refused: ${cell(vector.refusedBy)}`, '']
            : [
                (vector.expected ?? []).map((form) => cell(escapeInvisible(form.canonical, true))).join('<br>'),
                (vector.expected ?? []).map((form) => cell(form.token)).join('<br>'),
              ];
        return `| ${vector.note} | ${input === '' ? '<em>(empty)</em>' : cell(input)} | ${outputs[0]} | ${outputs[1]} |`;
      });
    return [`#### ${type}`, '', '| Case | Input | Canonical string(s) | Token(s) |', '| --- | --- | --- | --- |', ...rows].join('\n');
  });
  return [TABLE_START, '', ...sections.flatMap((section) => [section, '']), TABLE_END].join('\n');
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
    vectors: file.vectors.map(({ type, note, input }) => ({ type, note, input, ...actual({ type, note, input }) })),
  };
  writeFileSync(VECTORS_PATH, serialize(updated));
  Object.assign(file, updated);
  if (existsSync(DOCS_PATH)) {
    const docs = readFileSync(DOCS_PATH, 'utf8');
    writeFileSync(DOCS_PATH, docs.replace(docsTable(docs), renderTable(updated)));
  }
}

describe('published test vectors', () => {
  it('use the published test key', () => {
    expect(file.testKeyHex).toBe(TEST_FEDERATION_KEY_HEX);
  });

  it('cover every indicator type with both accepted and refused inputs', () => {
    for (const type of INDICATOR_TYPES) {
      expect(file.vectors.some((vector) => vector.type === type && vector.expected !== undefined)).toBe(true);
      expect(file.vectors.some((vector) => vector.type === type && vector.refusedBy !== undefined)).toBe(true);
    }
  });

  it.each(file.vectors.map((vector) => [vector.type, vector.note, vector] as const))('%s: %s', (_type, _note, vector) => {
    expect(actual(vector)).toEqual(vector.refusedBy !== undefined ? { refusedBy: vector.refusedBy } : { expected: vector.expected });
  });

  it('hold tokens that plain HMAC-SHA256 reproduces, independently of the library', () => {
    const key = Buffer.from(file.testKeyHex, 'hex');
    const forms = file.vectors.flatMap((vector) => vector.expected ?? []);
    expect(forms.length).toBeGreaterThan(30);
    for (const { canonical, token } of forms) {
      expect(createHmac('sha256', key).update(canonical, 'utf8').digest('hex')).toBe(token);
    }
    // Computed with: printf '%s' 'pf:pan:v1|4111111111111111' | openssl dgst -sha256 -mac HMAC -macopt hexkey:<test key>
    expect(forms).toContainEqual({
      kind: 'pan',
      canonical: 'pf:pan:v1|4111111111111111',
      token: '8666b1898a3f1229c1e3e0b2ded5926e99c1c67abcbab795459e1e32b633a5d6',
    });
    expect(forms).toContainEqual({
      kind: 'ip4-block',
      canonical: 'ip4:203.0.113.0/24',
      token: 'be74cf44de479e8b11b7d49eb126bb67a937fa9fcf38192bfc715496844ff857',
    });
  });

  it('are stored exactly as the generator writes them', () => {
    expect(readFileSync(VECTORS_PATH, 'utf8')).toBe(serialize(file));
  });

  it.skipIf(!existsSync(DOCS_PATH))('match the table in docs/canonicalization.md', () => {
    expect(docsTable(readFileSync(DOCS_PATH, 'utf8'))).toBe(renderTable(file));
  });
});
