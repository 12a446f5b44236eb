import { CanonicalizationError } from './errors.js';
import type { IndicatorType } from './types.js';

// A lone surrogate cannot be encoded as UTF-8 (it would silently become U+FFFD), so two
// different inputs would hash alike; refusing is the only honest answer.
const LONE_SURROGATE = /\p{Cs}/u;
// Invisible controls and format characters (zero-width space, BOM, soft hyphen, bidi marks)
// are a cheap way to make the same text look different; White_Space controls such as TAB are
// kept here because they are collapsed into a space later.
const INVISIBLE = /(?!\p{White_Space})[\p{Cc}\p{Cf}]/gu;
const WHITE_SPACE_RUN = /\p{White_Space}+/gu;
const FINAL_SIGMA = /\u03c2/g;

/** Refuses strings holding unpaired UTF-16 surrogates. */
export function assertWellFormed(type: IndicatorType, text: string): void {
  if (LONE_SURROGATE.test(text)) {
    throw new CanonicalizationError(type, 'text.unpaired-surrogate', 'the text holds an unpaired UTF-16 surrogate');
  }
}

/**
 * Folds text so look-alike spellings agree: drop invisible controls and format characters,
 * NFKC, lower-case, NFKC again, final sigma to sigma, collapse white space, trim.
 */
export function foldText(text: string): string {
  return (
    text
      // Deleting before NFKC matters: deleting after could join a letter and a combining mark
      // that NFKC would then compose, and the result would not be a fixed point.
      .replace(INVISIBLE, '')
      .normalize('NFKC')
      // Locale-independent default lower-casing: 'I' is 'i' for every member, Turkish or not.
      .toLowerCase()
      // Lower-casing can produce sequences that are not NFKC (e.g. U+0130 -> i + U+0307).
      .normalize('NFKC')
      // toLowerCase picks sigma or final sigma from context; folding both to sigma removes
      // the only context-dependent mapping, so implementations without it still agree.
      .replace(FINAL_SIGMA, '\u03c3')
      .replace(WHITE_SPACE_RUN, ' ')
      .trim()
  );
}

/** Counts Unicode code points (the unit every length cap is written in). */
export function codePointLength(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff && i > 0) {
      const previous = text.charCodeAt(i - 1);
      if (previous >= 0xd800 && previous <= 0xdbff) count--;
    }
  }
  return count;
}
