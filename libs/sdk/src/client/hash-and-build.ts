import { CanonicalizationError, type CanonicalizationRule } from '../errors.js';
import { isValidKeyEpoch, parseFederationKey } from '../federation-key.js';
import { hashIndicator } from '../indicator.js';
import { INDICATOR_TYPES, isIndicatorType, type IndicatorType, type IndicatorValue } from '../types.js';
import type { IndicatorInput } from './operations.js';

/** A raw indicator as a member holds it, before hashing (one CSV row, for instance). */
export interface RawIndicatorRow {
  /** One of INDICATOR_TYPES; case and surrounding spaces are ignored. */
  readonly type: string;
  /** The raw value; payments also take the one-line `PAN|MM/YY` form (see `parsePaymentInput`). */
  readonly value: IndicatorValue;
  /** ISO 8601: a date, or a date and time with `Z` or an offset. */
  readonly observedAt?: string | Date;
  readonly expiresAt?: string | Date;
  /** An integer 0-100, as a number or decimal text. */
  readonly confidence?: number | string;
  readonly externalRef?: string;
  /** A boolean, or true/false, yes/no, 1/0 as text. */
  readonly discloseIdentity?: boolean | string;
  /** Where the row came from (a file's line number), repeated in refusals. */
  readonly line?: number;
}

/** Rules a row's fields other than the value can break. */
export type RowRule =
  'csv.field-count' | 'row.type' | 'row.observed-at' | 'row.expires-at' | 'row.confidence' | 'row.external-ref' | 'row.disclose-identity';

/** Why one row produced no indicators. */
export interface RowRefusal {
  /** Position of the row in the input (0-based). */
  readonly index: number;
  /** The row's `line`, when it had one. */
  readonly line?: number;
  readonly rule: CanonicalizationRule | RowRule;
  /** `<TYPE> refused by rule <rule>: <detail>`, like CanonicalizationError's message. */
  readonly message: string;
}

/** Indicators ready for `submitIndicators`, and the rows that could not be used. */
export interface BuiltIndicators {
  readonly indicators: IndicatorInput[];
  readonly refused: RowRefusal[];
  /** Rows that produced at least one indicator. */
  readonly rowsUsed: number;
}

// These mirror the server's per-item checks (libs/federation/indicators validate-items.ts). The server
// refuses a whole batch for one bad item, so catching it here, with the row's line number,
// keeps one typo from failing a thousand good rows.
const FUTURE_SKEW_MS = 5 * 60_000;
const MAX_LIFETIME_MS = 730 * 86_400_000;
const EXTERNAL_REF = /^[^\p{Cc}\p{Cs}]{1,256}$/u;
// A time without a zone would be read in the local time zone of whoever runs the import.
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2})))?$/;

class RowError extends Error {
  constructor(
    readonly rule: RowRule,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Hashes raw rows into IndicatorInput items under one federation key and epoch. A row can give
 * several items (an IP range one per block, a PAN with expiry two), each carrying the row's
 * metadata. A row that breaks a rule is reported in `refused` and the others go on; a bad key
 * or epoch throws, since no row could succeed.
 */
export function hashAndBuild(
  federationKey: Uint8Array | string,
  epoch: string,
  rows: Iterable<RawIndicatorRow>,
  options: { now?: Date } = {},
): BuiltIndicators {
  const key = typeof federationKey === 'string' ? parseFederationKey(federationKey) : federationKey;
  if (!isValidKeyEpoch(epoch)) throw new RangeError(`key epoch ${JSON.stringify(epoch)} must match ^[a-z0-9][a-z0-9._-]{0,31}$`);
  const now = (options.now ?? new Date()).getTime();
  const indicators: IndicatorInput[] = [];
  const refused: RowRefusal[] = [];
  let rowsUsed = 0;
  let index = 0;
  for (const row of rows) {
    const at = index++;
    const type = normalizeType(row.type);
    try {
      if (type === undefined) {
        throw new RowError(
          'row.type',
          `unknown indicator type ${JSON.stringify(String(row.type))} (expected ${INDICATOR_TYPES.join(', ')})`,
        );
      }
      const metadata = rowMetadata(row, now);
      for (const { token } of hashIndicator(key, type, row.value)) {
        indicators.push({ type, token, keyEpoch: epoch, ...metadata });
      }
      rowsUsed++;
    } catch (error) {
      if (error instanceof CanonicalizationError) {
        refused.push({ index: at, line: row.line, rule: error.rule, message: error.message });
      } else if (error instanceof RowError) {
        refused.push({
          index: at,
          line: row.line,
          rule: error.rule,
          message: `${type ?? 'row'} refused by rule ${error.rule}: ${error.message}`,
        });
      } else {
        throw error;
      }
    }
  }
  return { indicators, refused, rowsUsed };
}

function normalizeType(type: unknown): IndicatorType | undefined {
  const text = String(type).trim().toUpperCase();
  return isIndicatorType(text) ? text : undefined;
}

type Metadata = Omit<IndicatorInput, 'type' | 'token' | 'keyEpoch'>;

function rowMetadata(row: RawIndicatorRow, now: number): Metadata {
  const metadata: { -readonly [K in keyof Metadata]: Metadata[K] } = {};
  if (row.observedAt !== undefined) {
    const at = instant(row.observedAt, 'row.observed-at', 'observedAt');
    if (at.getTime() > now + FUTURE_SKEW_MS)
      throw new RowError('row.observed-at', 'observedAt must not be more than 5 minutes in the future');
    metadata.observedAt = at.toISOString();
  }
  if (row.expiresAt !== undefined) {
    const at = instant(row.expiresAt, 'row.expires-at', 'expiresAt');
    if (at.getTime() <= now) throw new RowError('row.expires-at', 'expiresAt must be in the future');
    if (at.getTime() > now + MAX_LIFETIME_MS) throw new RowError('row.expires-at', 'expiresAt must be at most 730 days ahead');
    metadata.expiresAt = at.toISOString();
  }
  if (row.confidence !== undefined) metadata.confidence = confidenceOf(row.confidence);
  if (row.externalRef !== undefined) {
    if (typeof row.externalRef !== 'string' || !EXTERNAL_REF.test(row.externalRef)) {
      throw new RowError('row.external-ref', 'externalRef must be 1-256 characters without control characters');
    }
    metadata.externalRef = row.externalRef;
  }
  if (row.discloseIdentity !== undefined) metadata.discloseIdentity = booleanOf(row.discloseIdentity);
  return metadata;
}

function instant(value: string | Date, rule: RowRule, field: string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RowError(rule, `${field} is an invalid Date`);
    return value;
  }
  const text = String(value).trim();
  const match = ISO_INSTANT.exec(text);
  const bad = () =>
    new RowError(
      rule,
      `${field} must be an ISO 8601 date (2026-11-30) or date and time with a zone (2026-11-30T12:00:00Z), got ${JSON.stringify(text)}`,
    );
  if (match === null) throw bad();
  const [, y, mo, d, h = '0', mi = '0', s = '0', , oh = '0', om = '0'] = match;
  // Date.parse rolls 2026-02-30 over to March 2 instead of refusing it.
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) throw bad();
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(oh) > 23 || Number(om) > 59) throw bad();
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw bad();
  return at;
}

function confidenceOf(value: number | string): number {
  const number = typeof value === 'number' ? value : /^\s*\d{1,3}\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(number) || number < 0 || number > 100) {
    throw new RowError('row.confidence', `confidence must be an integer from 0 to 100, got ${JSON.stringify(value)}`);
  }
  return number;
}

function booleanOf(value: boolean | string): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['true', 'yes', '1'].includes(text)) return true;
  if (['false', 'no', '0'].includes(text)) return false;
  throw new RowError('row.disclose-identity', `discloseIdentity must be true/false, yes/no or 1/0, got ${JSON.stringify(value)}`);
}
