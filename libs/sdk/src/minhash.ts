import { createHmac, hkdfSync } from 'node:crypto';
import { CanonicalizationError, FederationKeyError } from './errors.js';
import { FEDERATION_KEY_MIN_BYTES, parseFederationKey } from './federation-key.js';
import { canonicalizePromptTemplate } from './prompt-template.js';
import { CANONICAL_PREFIXES } from './types.js';

// Keyed MinHash of prompt templates (docs/similar-templates.md). Every parameter below is
// written into the HKDF info of every key, so signatures made with other parameters or
// another scheme version share no band with these.

/** The scheme version of template signatures. */
export const MINHASH_SCHEME = 'minhash-v1';
/** Words per shingle. */
export const MINHASH_SHINGLE_WORDS = 3;
/** MinHash values per signature. */
export const MINHASH_VALUES = 128;
/** Bands per signature: the tokens a member submits. */
export const MINHASH_BANDS = 32;
/** MinHash values per band. */
export const MINHASH_ROWS = MINHASH_VALUES / MINHASH_BANDS;

const HKDF_SALT = 'sigfed-template-signature';
// Sentence ends after folding (NFKC has already turned the full-width ！？； into ASCII).
const SENTENCE_END = /[.!?;…。｡]+/u;
// A period with a letter or digit on both sides ("z.b", "e.g", "т.е", "config.yaml") ends no
// sentence: cutting there would leave one-letter "sentences" that unrelated templates share.
const IN_WORD_PERIOD = /(?<=[\p{L}\p{M}\p{N}])\.(?=[\p{L}\p{N}])/gu;
// Spellings of one word that lower-casing leaves apart: the typographic, the typewriter and
// the modifier-letter apostrophe (Ukrainian writes м'ясо with any of the three); ß, which upper
// case writes SS (so "GROSSE" folds to "grosse" but "große" stays); and ё, which Russian text
// writes as е as often as not.
const WORD_FOLDS: Readonly<Record<string, string>> = { '\u2019': "'", '\u02bc': "'", ß: 'ss', ё: 'е' };
const WORD_FOLD = /[\u2019\u02bcßё]/gu;
// A word is a placeholder, one Han, Hiragana or Katakana letter (those scripts put no spaces
// between words, so each character stands in for one), or a run of other letters, marks,
// digits, underscores and in-word apostrophes.
const WORD =
  /<(?:url|email|str|id|num)>|(?=\p{L})[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]\p{M}*|(?:(?!(?=\p{L})[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}])[\p{L}\p{M}\p{N}_'\u2019])+/gu;

/** A prompt template's keyed MinHash signature. */
export interface TemplateSignature {
  /** Always `minhash-v1`. */
  readonly scheme: typeof MINHASH_SCHEME;
  /** The 32 band tokens (64 lowercase hex characters each), in band order: what `submitTemplateSignatures` takes under an HMAC epoch. */
  readonly bands: readonly string[];
  /** Distinct shingles the template has (more shingles, steadier estimates). */
  readonly shingles: number;
}

/** The keys of one federation key, derived once and reused for many templates. */
export class TemplateSignatureKeys {
  /** @internal Use `templateSignatureKeys`. */
  constructor(
    readonly shingleKey: Buffer,
    // Multiplier (odd) and addend of each of the 128 permutations of 64-bit words, as 32-bit halves.
    readonly permutations: Uint32Array,
    readonly bandKey: Buffer,
  ) {}
}

/** Derives the signature keys of a federation key (hex/base64 text or bytes). */
export function templateSignatureKeys(federationKey: Uint8Array | string): TemplateSignatureKeys {
  return keysFor(federationKey, MINHASH_SCHEME);
}

/** @internal The HKDF info of one key: the scheme version and every parameter. */
export function keyInfo(scheme: string, purpose: 'shingle' | 'permutations' | 'band'): string {
  return `sigfed:${scheme}:${purpose}:words=${MINHASH_SHINGLE_WORDS}:values=${MINHASH_VALUES}:bands=${MINHASH_BANDS}:rows=${MINHASH_ROWS}`;
}

/** @internal `templateSignatureKeys` under any scheme string (property tests bind it). */
export function keysFor(federationKey: Uint8Array | string, scheme: string): TemplateSignatureKeys {
  const key = typeof federationKey === 'string' ? parseFederationKey(federationKey) : federationKey;
  if (key.length < FEDERATION_KEY_MIN_BYTES) {
    throw new FederationKeyError(`a federation key needs at least ${FEDERATION_KEY_MIN_BYTES} bytes, got ${key.length}`);
  }
  const derive = (purpose: 'shingle' | 'permutations' | 'band', length: number) =>
    Buffer.from(hkdfSync('sha256', key, HKDF_SALT, keyInfo(scheme, purpose), length));
  const words = derive('permutations', MINHASH_VALUES * 16);
  const permutations = new Uint32Array(MINHASH_VALUES * 4);
  for (let i = 0; i < MINHASH_VALUES; i++) {
    permutations[4 * i] = words.readUInt32BE(16 * i); // multiplier, high half
    permutations[4 * i + 1] = (words.readUInt32BE(16 * i + 4) | 1) >>> 0; // multiplier, low half, odd
    permutations[4 * i + 2] = words.readUInt32BE(16 * i + 8); // addend, high half
    permutations[4 * i + 3] = words.readUInt32BE(16 * i + 12); // addend, low half
  }
  return new TemplateSignatureKeys(derive('shingle', 32), permutations, derive('band', 32));
}

/**
 * The shingles of a template: its canonical form (see `canonicalizePromptTemplate`) cut into
 * sentences (a period between two letters or digits ends none), each sentence into words
 * (with ’ and ʼ read as ', ß as ss and ё as е), and each run of 3 consecutive words of one sentence
 * joined by single spaces. A sentence of 1 or 2 words is one shingle of those words. Throws
 * CanonicalizationError (`tpl.empty`, `tpl.too-long`, `tpl.no-words`) when there is nothing
 * to sign.
 */
export function templateShingles(text: string): string[] {
  const body = canonicalizePromptTemplate(text)
    .canonical.slice(CANONICAL_PREFIXES.template.length)
    .replace(IN_WORD_PERIOD, ' ')
    .replace(WORD_FOLD, (char) => WORD_FOLDS[char]);
  const shingles = new Set<string>();
  for (const sentence of body.split(SENTENCE_END)) {
    const words = sentence.match(WORD);
    if (words === null) continue;
    if (words.length < MINHASH_SHINGLE_WORDS) {
      shingles.add(words.join(' '));
      continue;
    }
    for (let i = 0; i + MINHASH_SHINGLE_WORDS <= words.length; i++) shingles.add(words.slice(i, i + MINHASH_SHINGLE_WORDS).join(' '));
  }
  if (shingles.size === 0) {
    throw new CanonicalizationError('PROMPT_TEMPLATE', 'tpl.no-words', 'the template holds no word to sign (only punctuation or symbols)');
  }
  return [...shingles];
}

/**
 * The 128 MinHash values of a template as 16 lowercase hex characters each (64-bit
 * integers): value i is the least of perm_i(h(s)) over the shingles s, where h(s) is the
 * first 8 bytes of HMAC-SHA256(shingle key, UTF-8(s)) and perm_i(x) = (a_i x + b_i) mod 2^64.
 */
export function templateMinHash(keys: TemplateSignatureKeys | Uint8Array | string, text: string): string[] {
  const { hi, lo } = minHashOf(asKeys(keys), templateShingles(text));
  return Array.from(hi, (high, i) => hex32(high) + hex32(lo[i]));
}

/**
 * The raw 32-byte pre-tokens of the 32 bands: HMAC-SHA256(band key, band index as one byte
 * || its 4 values as 64-bit big-endian integers). Under an HMAC epoch a band's token is the
 * hex of its pre-token; under a TWO_KEY epoch the pre-token is the OPRF input, like
 * `deriveHmac` of an exact token.
 */
export function templateBandPreTokens(keys: TemplateSignatureKeys | Uint8Array | string, text: string): Uint8Array[] {
  return presign(asKeys(keys), text).preTokens;
}

/** @internal The band pre-tokens of any shingle set (the bench's character-shingle baseline uses it). */
export function bandsOfShingles(keys: TemplateSignatureKeys, shingles: readonly string[]): Uint8Array[] {
  return bandsOf(keys, minHashOf(keys, shingles));
}

/** @internal The band pre-tokens of a template and how many distinct shingles it has. */
export function presign(keys: TemplateSignatureKeys, text: string): { preTokens: Uint8Array[]; shingles: number } {
  const shingles = templateShingles(text);
  return { preTokens: bandsOf(keys, minHashOf(keys, shingles)), shingles: shingles.length };
}

/**
 * The keyed MinHash signature of a prompt template under an HMAC key epoch: 32 band tokens
 * of 64 lowercase hex characters. Pass `templateSignatureKeys(key)` instead of the key when
 * signing many templates, to derive the keys once.
 */
export function templateSignature(federationKey: TemplateSignatureKeys | Uint8Array | string, text: string): TemplateSignature {
  const { preTokens, shingles } = presign(asKeys(federationKey), text);
  return { scheme: MINHASH_SCHEME, bands: preTokens.map((bytes) => Buffer.from(bytes).toString('hex')), shingles };
}

/**
 * The Jaccard similarity that `shared` equal bands of 32 estimate: a band agrees with
 * probability J^4, so J is estimated as (shared / 32)^(1/4).
 */
export function similarityOfSharedBands(shared: number): number {
  if (!Number.isInteger(shared) || shared < 0 || shared > MINHASH_BANDS)
    throw new RangeError(`shared must be an integer from 0 to ${MINHASH_BANDS}`);
  return (shared / MINHASH_BANDS) ** (1 / MINHASH_ROWS);
}

function asKeys(keys: TemplateSignatureKeys | Uint8Array | string): TemplateSignatureKeys {
  return keys instanceof TemplateSignatureKeys ? keys : templateSignatureKeys(keys);
}

interface MinHash {
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
}

function minHashOf(keys: TemplateSignatureKeys, shingles: readonly string[]): MinHash {
  const hi = new Uint32Array(MINHASH_VALUES).fill(0xffffffff);
  const lo = new Uint32Array(MINHASH_VALUES).fill(0xffffffff);
  const p = keys.permutations;
  for (const shingle of shingles) {
    const digest = createHmac('sha256', keys.shingleKey).update(shingle, 'utf8').digest();
    const xh = digest.readUInt32BE(0);
    const xl = digest.readUInt32BE(4);
    for (let i = 0; i < MINHASH_VALUES; i++) {
      const ah = p[4 * i];
      const al = p[4 * i + 1];
      // (a * x + b) mod 2^64 in 32-bit halves: every intermediate is an integer below 2^53.
      const productLo = Math.imul(al, xl) >>> 0;
      const productHi = (mulHigh32(al, xl) + (Math.imul(al, xh) >>> 0) + (Math.imul(ah, xl) >>> 0)) >>> 0;
      const sumLo = productLo + p[4 * i + 3];
      const valueLo = sumLo >>> 0;
      const valueHi = (productHi + p[4 * i + 2] + (sumLo > 0xffffffff ? 1 : 0)) >>> 0;
      if (valueHi < hi[i] || (valueHi === hi[i] && valueLo < lo[i])) {
        hi[i] = valueHi;
        lo[i] = valueLo;
      }
    }
  }
  return { hi, lo };
}

/** @internal The high 32 bits of the 64-bit product of two unsigned 32-bit integers. */
export function mulHigh32(a: number, b: number): number {
  const a1 = a >>> 16;
  const a0 = a & 0xffff;
  const b1 = b >>> 16;
  const b0 = b & 0xffff;
  const cross1 = a1 * b0;
  const cross2 = a0 * b1;
  const carry = (((a0 * b0) >>> 16) + (cross1 & 0xffff) + (cross2 & 0xffff)) >>> 16;
  return (a1 * b1 + (cross1 >>> 16) + (cross2 >>> 16) + carry) >>> 0;
}

function bandsOf(keys: TemplateSignatureKeys, { hi, lo }: MinHash): Uint8Array[] {
  const bands: Uint8Array[] = [];
  const message = Buffer.alloc(1 + 8 * MINHASH_ROWS);
  for (let band = 0; band < MINHASH_BANDS; band++) {
    message[0] = band;
    for (let row = 0; row < MINHASH_ROWS; row++) {
      const i = band * MINHASH_ROWS + row;
      message.writeUInt32BE(hi[i], 1 + 8 * row);
      message.writeUInt32BE(lo[i], 5 + 8 * row);
    }
    bands.push(new Uint8Array(createHmac('sha256', keys.bandKey).update(message).digest()));
  }
  return bands;
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}
