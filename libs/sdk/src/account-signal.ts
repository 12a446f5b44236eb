import { CanonicalizationError } from './errors.js';
import { assertWellFormed, codePointLength, foldText } from './text.js';
import { CANONICAL_PREFIXES, type CanonicalForm } from './types.js';

/** Longest canonical account signal, in code points. */
export const ACCOUNT_SIGNAL_MAX_CODE_POINTS = 1024;
// Checked before any work so a huge input costs nothing; generous enough that NFKC
// expansion of a legal value can never hit it first.
const RAW_INPUT_MAX_UNITS = 65_536;

/** Canonicalizes an opaque account signal (e-mail domain, device fingerprint, ...). */
export function canonicalizeAccountSignal(value: string): CanonicalForm {
  if (value.length > RAW_INPUT_MAX_UNITS) {
    throw new CanonicalizationError('ACCOUNT_SIGNAL', 'acct.too-long', `the input exceeds ${RAW_INPUT_MAX_UNITS} UTF-16 code units`);
  }
  assertWellFormed('ACCOUNT_SIGNAL', value);
  const body = foldText(value);
  if (body === '') {
    throw new CanonicalizationError('ACCOUNT_SIGNAL', 'acct.empty', 'nothing is left after trimming and removing invisible characters');
  }
  const length = codePointLength(body);
  if (length > ACCOUNT_SIGNAL_MAX_CODE_POINTS) {
    throw new CanonicalizationError(
      'ACCOUNT_SIGNAL',
      'acct.too-long',
      `the canonical form has ${length} code points; at most ${ACCOUNT_SIGNAL_MAX_CODE_POINTS} are allowed`,
    );
  }
  return { kind: 'account', canonical: CANONICAL_PREFIXES.account + body };
}
