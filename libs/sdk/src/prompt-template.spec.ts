import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalizationError } from './errors.js';
import { PROMPT_TEMPLATE_MAX_CODE_POINTS, canonicalizePromptTemplate } from './prompt-template.js';

const PREFIX = 'tpl:v1:';
const canonical = (text: string): string => canonicalizePromptTemplate(text).canonical;
const body = (text: string): string => canonical(text).slice(PREFIX.length);

function refusedBy(text: string): string {
  try {
    canonicalizePromptTemplate(text);
  } catch (error) {
    expect(error).toBeInstanceOf(CanonicalizationError);
    expect((error as CanonicalizationError).type).toBe('PROMPT_TEMPLATE');
    expect((error as CanonicalizationError).message).toContain((error as CanonicalizationError).rule);
    return (error as CanonicalizationError).rule;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

// Characters chosen to collide with every rule: quotes of each style, URL and e-mail syntax,
// digits in several scripts, combining marks that compose with '<', '=' and '>', invisibles,
// look-alikes and case-sensitive letters.
const NASTY = [
  'a',
  'b',
  'e',
  'f',
  'x',
  'Z',
  'I',
  'İ',
  'ı',
  'ß',
  'Σ',
  'ς',
  'ﬁ',
  'Ａ',
  '１',
  '٣',
  '0',
  '1',
  '9',
  ' ',
  '\u00a0',
  '\t',
  '\n',
  '\u3000',
  '\u200b',
  '\ufeff',
  '\u00ad',
  '\u0000',
  '"',
  "'",
  '`',
  '\u201c',
  '\u201d',
  '\u2018',
  '\u2019',
  '\u00ab',
  '\u00bb',
  '\uff02',
  ':',
  '/',
  '//',
  '://',
  'http://',
  'https://x.io/',
  '@',
  '.',
  ',',
  '-',
  '_',
  '+',
  '=',
  '%',
  '!',
  ')',
  '?',
  '<',
  '>',
  '<num>',
  '<str>',
  '<NUM>',
  '\u0301',
  '\u0338',
  '\u0307',
  'e\u0301',
  '\ud83d\ude00',
  'deadbeefdeadbeef',
  '0123456789abcdef',
  '123e4567-e89b-12d3-a456-426614174000',
  'a@b.co',
  'mailto:',
];
const nastyText = fc
  .array(fc.constantFrom(...NASTY), { maxLength: 40 })
  .map((parts) => parts.join(''))
  .filter((text) => text.trim().replace(/[\u200b\ufeff\u00ad\u0000\s]/g, '') !== '');
const unicodeText = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((text) => {
  try {
    canonicalizePromptTemplate(text);
    return true;
  } catch {
    return false;
  }
});

describe('canonicalizePromptTemplate', () => {
  it.each([
    ['Hello   World', 'hello world'],
    ['  \t leading and trailing \n ', 'leading and trailing'],
    ['line\none\r\ntwo\u2028three', 'line one two three'],
    ['NBSP\u00a0and\u3000ideographic\u2003space', 'nbsp and ideographic space'],
    ['zero\u200bwidth\ufeffjoiner\u00adsoft', 'zerowidthjoinersoft'],
    ['Ｆｕｌｌｗｉｄｔｈ ＴＥＸＴ', 'fullwidth text'],
    ['the ﬁle ﬂow', 'the file flow'],
    ['ΟΔΟΣ οδος οδοσ', 'οδοσ οδοσ οδοσ'],
    ['STRASSE straße', 'strasse straße'],
    ['Istanbul ıstanbul', 'istanbul ıstanbul'],
    ['İstanbul', 'i\u0307stanbul'],
    ['cafe\u0301 café', 'café café'],
  ])('folds %j to %j', (input, expected) => {
    expect(body(input)).toBe(expected);
  });

  it.each([
    ['Write 500 words about 3.14 and 1,000,000', 'write <num> words about <num> and <num>'],
    ['Version 1.2.3 costs $40', 'version <num> costs $<num>'],
    ['gpt4 h2o x86', 'gpt<num> h<num>o x<num>'],
    ['Full-width ４２ and Arabic-Indic ٤٢', 'full-width <num> and arabic-indic <num>'],
    ['Visit https://Example.com/a?b=1&c=2. Then http://x.y/(z)', 'visit <url>. then <url>)'],
    ['open ftp://files.example.org/pub/, please', 'open <url>, please'],
    ['mail Alice.Smith+tag@Sub.Example.co.uk now', 'mail <email> now'],
    ['mailto:bob@example.org', 'mailto:<email>'],
    ['say "hello there" and \'bye\' or `code` or “this” or ‘that’ or «ça»', 'say <str> and <str> or <str> or <str> or <str> or <str>'],
    ["don't quote the user's 'words'", "don't quote the user's <str>"],
    ['say "" then', 'say <str> then'],
    ['unbalanced "quote stays', 'unbalanced "quote stays'],
    ['token 3f2a9c0d1e4b5a6978695a4b3c2d1e0f end', 'token <id> end'],
    ['uuid 123E4567-E89B-12D3-A456-426614174000', 'uuid <id>'],
    ['base64 dGhpcyBpcyBhIHRlc3Q0Mg== base64url dGhpcy1pc_19hIHRlc3Q0Mg', 'base<num> <id> base<num>url <id>'],
    ['internationalization stays a word', 'internationalization stays a word'],
    ['short hex deadbeef12 is a word and a number', 'short hex deadbeef<num> is a word and a number'],
    ['literal <NUM> placeholders survive', 'literal <num> placeholders survive'],
  ])('replaces variable parts: %j', (input, expected) => {
    expect(body(input)).toBe(expected);
  });

  it('gives the same canonical form to the same template with different fillings', () => {
    const a = canonical('Hi, I am "Bob" (bob@x.org), order #1234: see https://shop.example/o/1234 for token ab12cd34ef56ab78cd90');
    const b = canonical('HI,  I am  “Eve” (eve.h@mail.example), order #98:\nsee http://evil.test/?q=9 for token 0000ffff0000ffff0000');
    expect(a).toBe(b);
  });

  it('absorbs combining marks after a placeholder so NFKC cannot fuse them with ">"', () => {
    expect(body('5\u0338 and "x"\u0338')).toBe('<num> and <str>');
  });

  it('is idempotent on text built from characters that collide with every rule', () => {
    fc.assert(
      fc.property(nastyText, (text) => {
        const once = body(text);
        expect(body(once)).toBe(once);
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent on arbitrary Unicode text', () => {
    fc.assert(
      fc.property(unicodeText, (text) => {
        const once = body(text);
        expect(body(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses empty and invisible-only templates', () => {
    expect(refusedBy('')).toBe('tpl.empty');
    expect(refusedBy(' \t\n\u00a0')).toBe('tpl.empty');
    expect(refusedBy('\u200b\ufeff')).toBe('tpl.empty');
  });

  it('refuses unpaired surrogates, which UTF-8 cannot carry', () => {
    expect(refusedBy('abc\ud800def')).toBe('text.unpaired-surrogate');
    expect(refusedBy('\udc00')).toBe('text.unpaired-surrogate');
  });

  it('caps the canonical form at 100 000 code points', () => {
    expect(body('a'.repeat(PROMPT_TEMPLATE_MAX_CODE_POINTS))).toHaveLength(PROMPT_TEMPLATE_MAX_CODE_POINTS);
    expect(refusedBy('a'.repeat(PROMPT_TEMPLATE_MAX_CODE_POINTS + 1))).toBe('tpl.too-long');
    // Placeholders lengthen text, so a short input can still be too long once canonical.
    expect(refusedBy('1 '.repeat(30_000))).toBe('tpl.too-long');
    expect(refusedBy('a'.repeat(1_000_001))).toBe('tpl.too-long');
  });

  it('stays linear on inputs built to make regular expressions backtrack', () => {
    const adversarial = [
      '\u201c'.repeat(50_000),
      'a1'.repeat(50_000),
      'a.'.repeat(50_000),
      'x'.repeat(99_000) + '://',
      "'".repeat(99_999),
      'a@'.repeat(50_000),
      '1.'.repeat(50_000),
    ];
    const started = performance.now();
    for (const text of adversarial) {
      try {
        canonicalizePromptTemplate(text);
      } catch (error) {
        // Some of these are too long once canonical; only the time spent matters here.
        expect(error).toBeInstanceOf(CanonicalizationError);
      }
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
