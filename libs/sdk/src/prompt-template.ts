import { CanonicalizationError } from './errors.js';
import { assertWellFormed, codePointLength, foldText } from './text.js';
import { CANONICAL_PREFIXES, type CanonicalForm } from './types.js';

/** Longest canonical prompt template (the part after `tpl:v1:`), in code points. */
export const PROMPT_TEMPLATE_MAX_CODE_POINTS = 100_000;
// The cap applies to the canonical form, not the input, because placeholders lengthen text
// ("5" becomes "<num>"): capping the input would refuse the canonical form of an accepted
// value and break idempotency. This guard only keeps absurd inputs from costing CPU.
const RAW_INPUT_MAX_UNITS = 1_000_000;

/** The placeholders that replace the variable parts of a template, in the order they are applied. */
export const PROMPT_PLACEHOLDERS = Object.freeze(['<url>', '<email>', '<str>', '<id>', '<num>'] as const);

// Scheme length is bounded so a long run of letters costs linear, not quadratic, time.
// The last character may not be closing punctuation so "see http://x.org." keeps its period.
const URL_PATTERN =
  /[a-z][a-z0-9+.-]{0,31}:\/\/[^\s<>"'`\u201c\u201d\u2018\u2019\u00ab\u00bb]*[^\s<>"'`\u201c\u201d\u2018\u2019\u00ab\u00bb.,;:!?)\]}]\p{M}*/gu;
const EMAIL_LOCAL_CHAR = /^[\p{L}\p{M}\p{N}._%+-]$/u;
const EMAIL_DOMAIN = /[\p{L}\p{M}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)+/uy;
// Hex digests, UUIDs, base64 / base64url blobs, API keys: 16+ characters mixing ASCII letters
// and digits. Requiring a digit keeps long ordinary words ("internationalization") intact.
const IDENTIFIER_PATTERN =
  /(?<![\p{L}\p{M}\p{N}_+/=-])(?=[a-z0-9_+/=-]*[0-9])(?=[a-z0-9_+/=-]*[a-z])[a-z0-9_+/=-]{16,}(?![\p{L}\p{M}\p{N}_+/=-])/gu;
const NUMBER_PATTERN = /\p{Nd}+(?:[.,]\p{Nd}+)*\p{M}*/gu;

interface QuotePair {
  readonly close: string;
  // Straight and curly single quotes double as apostrophes ("don't"), so they only open a
  // string when not glued to a word. '>' counts as a word character because it ends a
  // placeholder: without it a second pass could open a string the first pass did not.
  readonly notAfterWord: boolean;
}
const QUOTES: ReadonlyMap<string, QuotePair> = new Map([
  ['"', { close: '"', notAfterWord: false }],
  ['`', { close: '`', notAfterWord: false }],
  ['\u201c', { close: '\u201d', notAfterWord: false }],
  ['\u00ab', { close: '\u00bb', notAfterWord: false }],
  ["'", { close: "'", notAfterWord: true }],
  ['\u2018', { close: '\u2019', notAfterWord: true }],
]);
const WORD_CHAR = /^[\p{L}\p{M}\p{N}_>]$/u;
const MARKS_AT = /\p{M}*/uy;

/** Canonicalizes a prompt template: folds the text, then replaces its variable parts with placeholders. */
export function canonicalizePromptTemplate(value: string): CanonicalForm {
  if (value.length > RAW_INPUT_MAX_UNITS) {
    throw new CanonicalizationError('PROMPT_TEMPLATE', 'tpl.too-long', `the input exceeds ${RAW_INPUT_MAX_UNITS} UTF-16 code units`);
  }
  assertWellFormed('PROMPT_TEMPLATE', value);
  const folded = foldText(value);
  if (folded === '') {
    throw new CanonicalizationError('PROMPT_TEMPLATE', 'tpl.empty', 'nothing is left after removing white space and invisible characters');
  }
  const body = replaceVariableParts(folded);
  const length = codePointLength(body);
  if (length > PROMPT_TEMPLATE_MAX_CODE_POINTS) {
    throw new CanonicalizationError(
      'PROMPT_TEMPLATE',
      'tpl.too-long',
      `the canonical form has ${length} code points; at most ${PROMPT_TEMPLATE_MAX_CODE_POINTS} are allowed`,
    );
  }
  return { kind: 'template', canonical: CANONICAL_PREFIXES.template + body };
}

// Order matters: URLs and e-mail addresses contain digits and dots that the later rules
// would otherwise chew into pieces, and quoted strings swallow whatever they contain.
function replaceVariableParts(text: string): string {
  const withoutUrls = text.replace(URL_PATTERN, '<url>');
  const withoutEmails = replaceEmails(withoutUrls);
  const withoutStrings = replaceQuotedStrings(withoutEmails);
  const withoutIds = withoutStrings.replace(IDENTIFIER_PATTERN, '<id>');
  return withoutIds.replace(NUMBER_PATTERN, '<num>');
}

// An address is the run of local-part characters before an '@' plus the dotted domain after
// it. A regex would either re-scan long runs from every position (quadratic) or, with a
// look-behind, refuse to start right after a previous match, which a second pass (seeing
// '<email>' there) would not: "a@b.co%a@b.co". So each local part runs back to the start of
// its run or to the end of the previous address, whichever is nearer.
function replaceEmails(text: string): string {
  let out = '';
  let copied = 0;
  let at = text.indexOf('@');
  while (at !== -1) {
    let start = at;
    while (start > copied) {
      const char = codePointBefore(text, start);
      if (!EMAIL_LOCAL_CHAR.test(char)) break;
      start -= char.length;
    }
    EMAIL_DOMAIN.lastIndex = at + 1;
    const domain = start < at ? EMAIL_DOMAIN.exec(text) : null;
    if (domain === null) {
      at = text.indexOf('@', at + 1);
      continue;
    }
    out += `${text.slice(copied, start)}<email>`;
    copied = at + 1 + domain[0].length;
    at = text.indexOf('@', copied);
  }
  return out + text.slice(copied);
}

// Same result as the regex /"[^"]*"|.../ would give, but a regex re-scans to the end of the
// text from every unmatched opener ("““““..."), which is quadratic; remembering where each
// closer next occurs keeps this linear.
function replaceQuotedStrings(text: string): string {
  const nextClose = new Map<string, number>();
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const pair = QUOTES.get(ch);
    if (pair !== undefined && !(pair.notAfterWord && WORD_CHAR.test(codePointBefore(text, i)))) {
      let close = nextClose.get(pair.close);
      if (close === undefined || (close !== -1 && close <= i)) {
        close = text.indexOf(pair.close, i + 1);
        nextClose.set(pair.close, close);
      }
      if (close !== -1) {
        out += '<str>';
        i = skipMarks(text, close + 1);
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}

// A combining mark left right after a placeholder's '>' could compose with it under NFKC
// ('>' + U+0338 is '≯'), so every placeholder swallows the marks that follow it.
function skipMarks(text: string, from: number): number {
  MARKS_AT.lastIndex = from;
  const marks = MARKS_AT.exec(text);
  return from + (marks === null ? 0 : marks[0].length);
}

function codePointBefore(text: string, index: number): string {
  if (index === 0) return '';
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = text.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.slice(index - 2, index);
  }
  return text[index - 1];
}
