import { createHash } from 'node:crypto';
import type { FieldProblem } from '@app/common';
import { formatCharacterIn, InputValidationError, PLAIN_TEXT_RULE, plainTextMessage } from '@app/common';
import { KEY_EPOCH_PATTERN } from '@app/sdk';
import type { TemplateSignatureInput } from './dto/submit-template-signatures.input.js';

/** The number of band tokens of a minhash-v1 signature (32 bands of 4 rows). */
export const BANDS_PER_SIGNATURE = 32;

/** A signature after validation and defaulting, ready for the upsert. */
export interface NormalizedSignature {
  keyEpoch: string;
  bands: string[];
  /** SHA-256 over the 32 raw band tokens in band order, hex: the signature's key and the token its alerts show. */
  digest: string;
  observedAt: Date;
  expiresAt: Date;
  confidence: number;
  externalRef: string | null;
  discloseIdentity: boolean;
}

/** Limits the single-pass validation applies; from AppConfig. */
export interface SignatureRules {
  maxItems: number;
  ttlDays: number;
}

const DAY_MS = 86_400_000;
const FUTURE_SKEW_MS = 5 * 60_000;
const MAX_LIFETIME_MS = 730 * DAY_MS;
const EXTERNAL_REF = /^[^\p{Cc}\p{Cs}]{1,256}$/u;

/** The digest of a signature: SHA-256 over its band tokens' 32 raw bytes each, in band order. */
export function signatureDigest(bands: readonly string[]): string {
  const hash = createHash('sha256');
  for (const band of bands) hash.update(Buffer.from(band, 'hex'));
  return hash.digest('hex');
}

/**
 * Checks and defaults every signature in one pass and reports every problem
 * with its index (`signatures.3.bands`). Each band token's form was already
 * checked by GraphQL (IndicatorToken scalar) during variable coercion.
 */
export function validateSignatures(items: TemplateSignatureInput[], rules: SignatureRules, now = new Date()): NormalizedSignature[] {
  if (items.length === 0) {
    throw new InputValidationError([{ field: 'signatures', rule: 'arrayMinSize', message: 'signatures must contain at least 1 item' }]);
  }
  if (items.length > rules.maxItems) {
    throw new InputValidationError([
      {
        field: 'signatures',
        rule: 'arrayMaxSize',
        message: `signatures must contain at most ${rules.maxItems} items (got ${items.length}); split the batch`,
      },
    ]);
  }
  const problems: FieldProblem[] = [];
  const bad = (i: number, field: string, rule: string, message: string) =>
    problems.length < 1000 && problems.push({ field: `signatures.${i}.${field}`, rule, message });
  const nowMs = now.getTime();
  const out: NormalizedSignature[] = new Array(items.length);

  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!KEY_EPOCH_PATTERN.test(item.keyEpoch)) bad(i, 'keyEpoch', 'matches', 'keyEpoch must match ^[a-z0-9][a-z0-9._-]{0,31}$');
    if (item.bands.length !== BANDS_PER_SIGNATURE) {
      bad(i, 'bands', 'length', `bands must hold exactly ${BANDS_PER_SIGNATURE} band tokens (got ${item.bands.length})`);
    } else if (new Set(item.bands).size !== BANDS_PER_SIGNATURE) {
      bad(i, 'bands', 'distinct', 'bands must be 32 distinct tokens (each binds its band index, so a repeat is not a signature)');
    }
    const observedAt = item.observedAt ?? now;
    if (observedAt.getTime() > nowMs + FUTURE_SKEW_MS) {
      bad(i, 'observedAt', 'notInFuture', 'observedAt must not be more than 5 minutes in the future');
    }
    const expiresAt = item.expiresAt ?? new Date(nowMs + rules.ttlDays * DAY_MS);
    if (expiresAt.getTime() <= nowMs) bad(i, 'expiresAt', 'inFuture', 'expiresAt must be in the future');
    else if (expiresAt.getTime() > nowMs + MAX_LIFETIME_MS) bad(i, 'expiresAt', 'maxLifetime', 'expiresAt must be at most 730 days ahead');
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
      keyEpoch: item.keyEpoch,
      bands: item.bands,
      digest: item.bands.length === BANDS_PER_SIGNATURE ? signatureDigest(item.bands) : '',
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

/** Keeps the last item for each (epoch, digest): Postgres refuses to update one row twice in a statement. */
export function dedupeSignatures(items: NormalizedSignature[]): NormalizedSignature[] {
  const byKey = new Map<string, NormalizedSignature>();
  for (const item of items) {
    const key = `${item.keyEpoch}|${item.digest}`;
    byKey.delete(key);
    byKey.set(key, item);
  }
  return byKey.size === items.length ? items : [...byKey.values()];
}

/** SHA-256 of what was asked, to recognise a reused idempotency key with another payload. */
export function requestHash(items: NormalizedSignature[], raw: TemplateSignatureInput[]): Buffer {
  const hash = createHash('sha256');
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const r = raw[i];
    // What the caller sent (not defaults computed from the clock), so a retry hashes equal.
    hash.update(
      `${it.keyEpoch}|${it.digest}|${r.observedAt?.toISOString() ?? ''}|${r.expiresAt?.toISOString() ?? ''}|` +
        `${r.confidence ?? ''}|${r.externalRef ?? ''}|${r.discloseIdentity ?? ''}\n`,
    );
  }
  return hash.digest();
}
