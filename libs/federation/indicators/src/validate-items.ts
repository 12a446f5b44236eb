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

/**
 * Checks and defaults every item in one pass and reports every problem with
 * its index (`indicators.3.keyEpoch`). Type and token were already checked by
 * GraphQL (enum and IndicatorToken scalar) during variable coercion.
 */
export function validateIndicatorItems(items: IndicatorInput[], rules: ItemRules, now = new Date()): NormalizedItem[] {
  if (items.length === 0) {
    throw new InputValidationError([{ field: 'indicators', rule: 'arrayMinSize', message: 'indicators must contain at least 1 item' }]);
  }
  if (items.length > rules.maxItems) {
    throw new InputValidationError([
      {
        field: 'indicators',
        rule: 'arrayMaxSize',
        message: `indicators must contain at most ${rules.maxItems} items (got ${items.length}); split the batch`,
      },
    ]);
  }
  const problems: FieldProblem[] = [];
  const bad = (i: number, field: string, rule: string, message: string) =>
    problems.length < 1000 && problems.push({ field: `indicators.${i}.${field}`, rule, message });
  const nowMs = now.getTime();
  const out: NormalizedItem[] = new Array(items.length);

  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!KEY_EPOCH_PATTERN.test(item.keyEpoch)) {
      bad(i, 'keyEpoch', 'matches', 'keyEpoch must match ^[a-z0-9][a-z0-9._-]{0,31}$');
    }
    const observedAt = item.observedAt ?? now;
    if (observedAt.getTime() > nowMs + FUTURE_SKEW_MS) {
      bad(i, 'observedAt', 'notInFuture', 'observedAt must not be more than 5 minutes in the future');
    }
    const expiresAt = item.expiresAt ?? new Date(nowMs + rules.ttlDays[item.type] * DAY_MS);
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
    out[i] = {
      type: item.type,
      keyEpoch: item.keyEpoch,
      token: item.token,
      observedAt,
      expiresAt,
      confidence,
      externalRef,
      discloseIdentity: item.discloseIdentity ?? false,
    };
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
