import { createHash } from 'node:crypto';
import { InputValidationError } from '@app/common';
import { checkBatchSize, itemProblems, recordFields } from '@app/indicators';
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
  checkBatchSize('signatures', items.length, rules.maxItems);
  const { problems, bad } = itemProblems('signatures');
  const out: NormalizedSignature[] = new Array(items.length);

  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!KEY_EPOCH_PATTERN.test(item.keyEpoch)) bad(i, 'keyEpoch', 'matches', 'keyEpoch must match ^[a-z0-9][a-z0-9._-]{0,31}$');
    if (item.bands.length !== BANDS_PER_SIGNATURE) {
      bad(i, 'bands', 'length', `bands must hold exactly ${BANDS_PER_SIGNATURE} band tokens (got ${item.bands.length})`);
    } else if (new Set(item.bands).size !== BANDS_PER_SIGNATURE) {
      bad(i, 'bands', 'distinct', 'bands must be 32 distinct tokens (each binds its band index, so a repeat is not a signature)');
    }
    out[i] = {
      keyEpoch: item.keyEpoch,
      bands: item.bands,
      digest: item.bands.length === BANDS_PER_SIGNATURE ? signatureDigest(item.bands) : '',
      ...recordFields(item, i, bad, now, rules.ttlDays),
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
