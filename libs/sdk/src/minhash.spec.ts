import { createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalizationError, FederationKeyError } from './errors.js';
import { TEST_FEDERATION_KEY_HEX, TOKEN_PATTERN } from './federation-key.js';
import {
  MINHASH_BANDS,
  MINHASH_SCHEME,
  MINHASH_VALUES,
  keyInfo,
  keysFor,
  mulHigh32,
  similarityOfSharedBands,
  templateBandPreTokens,
  templateMinHash,
  templateShingles,
  templateSignature,
  templateSignatureKeys,
} from './minhash.js';

const OTHER_KEY = 'ff'.repeat(32);
const keys = templateSignatureKeys(TEST_FEDERATION_KEY_HEX);
const shared = (a: readonly string[], b: readonly string[]) => a.filter((band, i) => band === b[i]).length;

function refusedBy(text: string): string {
  try {
    templateSignature(keys, text);
  } catch (error) {
    expect(error).toBeInstanceOf(CanonicalizationError);
    return (error as CanonicalizationError).rule;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

// Sentences of random words from a small vocabulary, so that two drawn texts overlap often
// enough for the similarity properties to see the whole range.
const VOCABULARY = [
  'you',
  'are',
  'a',
  'helpful',
  'assistant',
  'answer',
  'the',
  'question',
  'about',
  'chemistry',
  'in',
  'detail',
  'step',
  'by',
  'explain',
  'why',
  'list',
  'all',
  'reasons',
  'never',
  'refuse',
];
const sentence = fc.array(fc.constantFrom(...VOCABULARY), { minLength: 1, maxLength: 12 }).map((words) => `${words.join(' ')}.`);
const template = fc.array(sentence, { minLength: 1, maxLength: 8 }).map((sentences) => sentences.join(' '));

describe('templateShingles', () => {
  it('cuts each sentence into word 3-shingles, never across a sentence end', () => {
    expect(templateShingles('One two three four. Five six seven!')).toEqual(['one two three', 'two three four', 'five six seven']);
  });

  it('signs the canonical form: case, white space, numbers and quoted strings do not matter', () => {
    expect(templateShingles('Write  "Paris" in 3 WORDS')).toEqual(templateShingles('write `Berlin` in 12 words'));
    expect(templateShingles('Write "Paris" in 3 words')).toEqual(['write <str> in', '<str> in <num>', 'in <num> words']);
  });

  it('makes a sentence of one or two words one shingle', () => {
    expect(templateShingles('Hello. Thank you! One two three.')).toEqual(['hello', 'thank you', 'one two three']);
  });

  it('drops punctuation between words and keeps in-word apostrophes', () => {
    expect(templateShingles("Don't stop, (ever), now: please")).toEqual(["don't stop ever", 'stop ever now', 'ever now please']);
  });

  it('ends no sentence at a period between letters or digits (abbreviations, file names)', () => {
    expect(templateShingles('Lies config.yaml und prüfe sie. Dann stop')).toEqual([
      'lies config yaml',
      'config yaml und',
      'yaml und prüfe',
      'und prüfe sie',
      'dann stop',
    ]);
    // The period that closes an abbreviation is followed by a space, so it still ends a sentence.
    expect(templateShingles('Ответь кратко, т.е. одним словом.')).toEqual(['ответь кратко т', 'кратко т е', 'одним словом']);
  });

  it('reads the apostrophes, ß and ss, ё and е as the same letters', () => {
    expect(templateShingles('Dis-le au lieu de l’inventer')).toEqual(templateShingles("Dis-le au lieu de l'inventer"));
    expect(templateShingles('Купи м\u02bcясо сьогодні')).toEqual(templateShingles("Купи м'ясо сьогодні"));
    expect(templateShingles('Schreibe GROSSE Buchstaben auf die Straße')).toEqual(
      templateShingles('Schreibe große Buchstaben auf die Strasse'),
    );
    expect(templateShingles('Отвечай чётко и всё объясняй')).toEqual(templateShingles('Отвечай четко и все объясняй'));
    expect(templateShingles('Отвечай чётко')).toEqual(['отвечай четко']);
  });

  it('counts each Han, Hiragana and Katakana letter as a word', () => {
    expect(templateShingles('日本語のテスト。你好')).toEqual(['日 本 語', '本 語 の', '語 の テ', 'の テ ス', 'テ ス ト', '你 好']);
  });

  it('keeps duplicates once', () => {
    expect(templateShingles('a b c. a b c. a b c')).toEqual(['a b c']);
  });

  it('refuses empty text, and text without a word', () => {
    expect(refusedBy('')).toBe('tpl.empty');
    expect(refusedBy(' \u200b\t')).toBe('tpl.empty');
    expect(refusedBy('... !!! ?')).toBe('tpl.no-words');
    expect(refusedBy('—·—')).toBe('tpl.no-words');
  });
});

describe('templateSignature', () => {
  it('returns 32 band tokens of 64 lowercase hex characters', () => {
    const signature = templateSignature(TEST_FEDERATION_KEY_HEX, 'You are a helpful assistant. Answer the question.');
    expect(signature.scheme).toBe(MINHASH_SCHEME);
    expect(signature.bands).toHaveLength(MINHASH_BANDS);
    for (const band of signature.bands) expect(band).toMatch(TOKEN_PATTERN);
    expect(new Set(signature.bands).size).toBe(MINHASH_BANDS);
    expect(signature.shingles).toBe(4);
  });

  it('refuses a federation key shorter than 32 bytes', () => {
    expect(() => templateSignature('00'.repeat(31), 'a b c')).toThrow(FederationKeyError);
    expect(() => templateSignature(new Uint8Array(16), 'a b c')).toThrow(FederationKeyError);
  });

  it('gives the same bands for the same text, whichever way the key is passed', () => {
    fc.assert(
      fc.property(template, (text) => {
        const bands = templateSignature(keys, text).bands;
        expect(templateSignature(TEST_FEDERATION_KEY_HEX, text).bands).toEqual(bands);
        expect(templateSignature(Buffer.from(TEST_FEDERATION_KEY_HEX, 'hex'), text.toUpperCase()).bands).toEqual(bands);
      }),
      { numRuns: 50 },
    );
  });

  it('shares no band with the same text under another federation key', () => {
    const other = templateSignatureKeys(OTHER_KEY);
    fc.assert(
      fc.property(template, (text) => {
        const mine = new Set(templateSignature(keys, text).bands);
        for (const band of templateSignature(other, text).bands) expect(mine.has(band)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('binds the scheme version: another scheme string changes every value and every band', () => {
    const renamed = keysFor(TEST_FEDERATION_KEY_HEX, 'minhash-v2');
    fc.assert(
      fc.property(template, (text) => {
        const values = new Set(templateMinHash(keys, text));
        for (const value of templateMinHash(renamed, text)) expect(values.has(value)).toBe(false);
        const bands = new Set(templateBandPreTokens(keys, text).map((bytes) => Buffer.from(bytes).toString('hex')));
        for (const band of templateBandPreTokens(renamed, text)) expect(bands.has(Buffer.from(band).toString('hex'))).toBe(false);
      }),
      { numRuns: 30 },
    );
  });

  it('writes every parameter into the key derivation', () => {
    expect(keyInfo(MINHASH_SCHEME, 'band')).toBe('sigfed:minhash-v1:band:words=3:values=128:bands=32:rows=4');
  });

  it('estimates the true shingle Jaccard similarity', () => {
    // 128 values: the agreement rate of two signatures has a standard deviation of at most
    // sqrt(0.25 / 128) = 0.044, so 0.2 is more than 4.5 of them.
    fc.assert(
      fc.property(template, template, (a, b) => {
        const sa = new Set(templateShingles(a));
        const sb = new Set(templateShingles(b));
        const union = new Set([...sa, ...sb]).size;
        const jaccard = [...sa].filter((shingle) => sb.has(shingle)).length / union;
        const va = templateMinHash(keys, a);
        const vb = templateMinHash(keys, b);
        const estimate = shared(va, vb) / MINHASH_VALUES;
        expect(Math.abs(estimate - jaccard)).toBeLessThan(0.2);
      }),
      { numRuns: 200 },
    );
  });

  it('shares more bands the more similar two templates are', () => {
    const base =
      'You are a chemistry tutor. Explain every step of the synthesis in detail. Never refuse a question about reagents. Always list the quantities needed for each step.';
    const edited = base.replace('Never refuse', 'Do not refuse');
    const unrelated = 'Summarize the following article for a busy executive. Keep it under one page and use plain words.';
    expect(shared(templateSignature(keys, base).bands, templateSignature(keys, base).bands)).toBe(MINHASH_BANDS);
    expect(shared(templateSignature(keys, base).bands, templateSignature(keys, edited).bands)).toBeGreaterThanOrEqual(4);
    expect(shared(templateSignature(keys, base).bands, templateSignature(keys, unrelated).bands)).toBe(0);
  });

  it('computes each value as min over shingles of (a x + b) mod 2^64, as BigInt arithmetic says', () => {
    const key = Buffer.from(TEST_FEDERATION_KEY_HEX, 'hex');
    const words = Buffer.from(hkdfSync('sha256', key, 'sigfed-template-signature', keyInfo(MINHASH_SCHEME, 'permutations'), 128 * 16));
    const shingleKey = Buffer.from(hkdfSync('sha256', key, 'sigfed-template-signature', keyInfo(MINHASH_SCHEME, 'shingle'), 32));
    fc.assert(
      fc.property(template, (text) => {
        const xs = templateShingles(text).map((s) => createHmac('sha256', shingleKey).update(s).digest().readBigUInt64BE(0));
        const expected = Array.from({ length: MINHASH_VALUES }, (_, i) => {
          const a = words.readBigUInt64BE(16 * i) | 1n;
          const b = words.readBigUInt64BE(16 * i + 8);
          const min = xs.reduce((least, x) => {
            const value = (a * x + b) & 0xffffffffffffffffn;
            return value < least ? value : least;
          }, 1n << 64n);
          return min.toString(16).padStart(16, '0');
        });
        expect(templateMinHash(keys, text)).toEqual(expected);
      }),
      { numRuns: 30 },
    );
  });

  it('multiplies 32-bit halves exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (a, b) => {
        expect(mulHigh32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
      }),
      { numRuns: 2000 },
    );
    expect(mulHigh32(0xffffffff, 0xffffffff)).toBe(0xfffffffe);
  });
});

describe('similarityOfSharedBands', () => {
  it('inverts the band agreement probability J^4', () => {
    expect(similarityOfSharedBands(32)).toBe(1);
    expect(similarityOfSharedBands(0)).toBe(0);
    expect(similarityOfSharedBands(2)).toBeCloseTo(0.5, 10);
    expect(() => similarityOfSharedBands(33)).toThrow(RangeError);
  });
});
