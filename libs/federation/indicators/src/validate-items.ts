import { createHash } from 'node:crypto';
import type { FieldProblem } from '@app/common';
import { formatCharacterIn, InputValidationError, PLAIN_TEXT_RULE, plainTextMessage } from '@app/common';
import type { IndicatorType } from '@app/database';
import { KEY_EPOCH_PATTERN } from '@app/sdk';
import type { IndicatorInput } from './dto/submit-indicators.input.js';

/** An item after validation and defaulting, ready for the upsert. */
export interface NormalizedItem {
  type: IndicatorType;
  keyEpoch: string;
  token: string;
  observedAt: Date;
  expiresAt: Date;
  confidence: number;
  externalRef: string | null;
  discloseIdentity: boolean;
}

/** Limits the single-pass validation applies; from AppConfig. */
export interface ItemRules {
  maxItems: number;
  ttlDays: Record<IndicatorType, number>;
}

const DAY_MS = 86_400_000;
const FUTURE_SKEW_MS = 5 * 60_000;
const MAX_LIFETIME_MS = 730 * DAY_MS;
// Printable text only: a reference is shown back to its owner, never interpreted.
const EXTERNAL_REF = /^[^\p{Cc}\p{Cs}]{1,256}$/u;

/** The fields every stored record carries (indicators, template signatures), as a caller may send them. */
export interface RecordFieldsInput {
  observedAt?: Date | null;
  expiresAt?: Date | null;
  confidence?: number | null;
  externalRef?: string | null;
  discloseIdentity?: boolean | null;
}

/** Those fields checked and defaulted. */
export type RecordFields = Pick<NormalizedItem, 'observedAt' | 'expiresAt' | 'confidence' | 'externalRef' | 'discloseIdentity'>;

/** Records a problem of item `i`'s field. */
export type ItemProblem = (i: number, field: string, rule: string, message: string) => void;

/** Refuses an all-or-nothing list `field` that is empty or longer than `maxItems`. */
export function checkBatchSize(field: string, length: number, maxItems: number): void {
  if (length === 0) {
    throw new InputValidationError([{ field, rule: 'arrayMinSize', message: `${field} must contain at least 1 item` }]);
  }
  if (length > maxItems) {
    throw new InputValidationError([
      { field, rule: 'arrayMaxSize', message: `${field} must contain at most ${maxItems} items (got ${length}); split the batch` },
    ]);
  }
}

/** Collects the problems of list `field`'s items (`field.3.keyEpoch`), the first 1,000 of them. */
export function itemProblems(field: string): { problems: FieldProblem[]; bad: ItemProblem } {
  const problems: FieldProblem[] = [];
  const bad: ItemProblem = (i, name, rule, message) => {
    if (problems.length < 1000) problems.push({ field: `${field}.${i}.${name}`, rule, message });
  };
  return { problems, bad };
}

/** Checks and defaults item `i`'s record fields; `ttlDays` gives the default expiry. */
export function recordFields(item: RecordFieldsInput, i: number, bad: ItemProblem, now: Date, ttlDays: number): RecordFields {
  const nowMs = now.getTime();
  const observedAt = item.observedAt ?? now;
  if (observedAt.getTime() > nowMs + FUTURE_SKEW_MS) {
    bad(i, 'observedAt', 'notInFuture', 'observedAt must not be more than 5 minutes in the future');
  }
  const expiresAt = item.expiresAt ?? new Date(nowMs + ttlDays * DAY_MS);
  if (expiresAt.getTime() <= nowMs) bad(i, 'expiresAt', 'inFuture', 'expiresAt must be in the future');
  else if (expiresAt.getTime() > nowMs + MAX_LIFETIME_MS) {
    bad(i, 'expiresAt', 'maxLifetime', 'expiresAt must be at most 730 days ahead');
  }
  const confidence = item.confidence ?? 50;
  if (!Number.isInteger(confidence) || confidence < 0 || confidence > 100) {
    bad(i, 'confidence', 'range', 'confidence must be an integer from 0 to 100');
  }
  const externalRef = item.externalRef ?? null;
  if (externalRef !== null && !EXTERNAL_REF.test(externalRef)) {
    bad(i, 'externalRef', 'printable', 'externalRef must be 1-256 printable characters');
  } else if (externalRef !== null) {
    const found = formatCharacterIn(externalRef);
    if (found) bad(i, 'externalRef', PLAIN_TEXT_RULE, plainTextMessage('externalRef', found));
  }
  return { observedAt, expiresAt, confidence, externalRef, discloseIdentity: item.discloseIdentity ?? false };
}

/**
 * Checks and defaults every item in one pass and reports every problem with
 * its index (`indicators.3.keyEpoch`). Type and token were already checked by
 * GraphQL (enum and IndicatorToken scalar) during variable coercion.
 */
export function validateIndicatorItems(items: IndicatorInput[], rules: ItemRules, now = new Date()): NormalizedItem[] {
  checkBatchSize('indicators', items.length, rules.maxItems);
  const { problems, bad } = itemProblems('indicators');
  const out: NormalizedItem[] = new Array(items.length);

  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!KEY_EPOCH_PATTERN.test(item.keyEpoch)) {
      bad(i, 'keyEpoch', 'matches', 'keyEpoch must match ^[a-z0-9][a-z0-9._-]{0,31}$');
    }
    out[i] = { type: item.type, keyEpoch: item.keyEpoch, token: item.token, ...recordFields(item, i, bad, now, rules.ttlDays[item.type]) };
  }
  if (problems.length) throw new InputValidationError(problems);
  return out;
}

/**
 * Keeps the last item for each (type, epoch, token): Postgres refuses to
 * update one row twice in a statement, and a later item is the newer word.
 */
export function dedupeItems(items: NormalizedItem[]): NormalizedItem[] {
  const byKey = new Map<string, NormalizedItem>();
  for (const item of items) {
    const key = `${item.type}|${item.keyEpoch}|${item.token}`;
    byKey.delete(key);
    byKey.set(key, item);
  }
  return byKey.size === items.length ? items : [...byKey.values()];
}

/**
 * `toISOString` that formats each instant once: most items of a batch share
 * theirs (one observedAt, the type's default expiry). One per batch.
 */
export function isoFormatter(): (d: Date) => string {
  const formatted = new Map<number, string>();
  return (d) => {
    let text = formatted.get(d.getTime());
    if (text === undefined) formatted.set(d.getTime(), (text = d.toISOString()));
    return text;
  };
}

/** SHA-256 of what was asked, to recognise a reused idempotency key with another payload. */
export function requestHash(items: NormalizedItem[], explicitDefaults: IndicatorInput[], extra = ''): Buffer {
  const lines = new Array<string>(items.length);
  const iso = isoFormatter();
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const raw = explicitDefaults[i];
    // Hash what the caller sent (not defaults computed from the clock), so a retry hashes equal.
    lines[i] =
      `${it.type}|${it.keyEpoch}|${it.token}|${raw.observedAt == null ? '' : iso(raw.observedAt)}|` +
      `${raw.expiresAt == null ? '' : iso(raw.expiresAt)}|${raw.confidence ?? ''}|${raw.externalRef ?? ''}|${raw.discloseIdentity ?? ''}\n`;
  }
  const hash = createHash('sha256').update(lines.join(''));
  // A call that carries more than indicators (submitBundles) hashes the rest too.
  if (extra) hash.update(`\u0000${extra}`);
  return hash.digest();
}
