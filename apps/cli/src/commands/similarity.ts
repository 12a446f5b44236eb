import {
  CanonicalizationError,
  hashAndBuild,
  templateShingles,
  type RawIndicatorRow,
  type SigfedClient,
  type SubmissionResult,
  type TemplateSignature,
  type TemplateSignatureInput,
} from '@app/sdk';

/** Signatures per `submitTemplateSignatures` call: 32 tokens each, so 500 stay well under the server's body limit. */
export const SIGNATURES_PER_CALL = 500;

/** The template rows of a CSV that a signature can be made of, each with the metadata its exact token carries. */
export interface SignableRows {
  readonly texts: string[];
  /** The signature inputs without their bands, in the order of `texts`. */
  readonly metadata: Omit<TemplateSignatureInput, 'bands'>[];
  /** `line N: ...` for template rows whose exact token was sent but that have no words to sign. */
  readonly refused: string[];
}

/**
 * Picks the PROMPT_TEMPLATE rows that `hashAndBuild` accepts (its refusals are reported with
 * the exact tokens already) and that hold a word to sign.
 */
export function signableRows(federationKey: Uint8Array, epoch: string, rows: readonly RawIndicatorRow[], now?: Date): SignableRows {
  const templates = rows.filter((row) => typeof row.type === 'string' && row.type.trim().toUpperCase() === 'PROMPT_TEMPLATE');
  const built = hashAndBuild(federationKey, epoch, templates, { now });
  const refusedAt = new Set(built.refused.map((refusal) => refusal.index));
  // A template row gives exactly one indicator, so accepted rows and indicators pair up in order.
  const accepted = templates.filter((_, i) => !refusedAt.has(i));
  const result: SignableRows = { texts: [], metadata: [], refused: [] };
  accepted.forEach((row, i) => {
    const text = String(row.value);
    try {
      templateShingles(text);
    } catch (error) {
      if (!(error instanceof CanonicalizationError)) throw error;
      result.refused.push(`line ${row.line}: no signature: ${error.message}`);
      return;
    }
    const { type: _type, token: _token, ...metadata } = built.indicators[i];
    result.texts.push(text);
    result.metadata.push(metadata);
  });
  return result;
}

/** Pairs signatures with their rows' metadata. */
export function signatureInputs(rows: SignableRows, signatures: readonly TemplateSignature[]): TemplateSignatureInput[] {
  return rows.metadata.map((metadata, i) => ({ ...metadata, bands: signatures[i].bands }));
}

/**
 * Sends signatures in calls of SIGNATURES_PER_CALL, call i under idempotency key
 * `<prefix>:sig:<i>`, so a rerun with the same prefix stores nothing twice.
 */
export async function submitSignatures(
  client: Pick<SigfedClient, 'submitTemplateSignatures'>,
  signatures: readonly TemplateSignatureInput[],
  prefix: string,
): Promise<{ calls: number; accepted: number; duplicates: number }> {
  const totals = { calls: 0, accepted: 0, duplicates: 0 };
  for (let start = 0; start < signatures.length; start += SIGNATURES_PER_CALL) {
    const result: SubmissionResult = await client.submitTemplateSignatures({
      idempotencyKey: `${prefix}:sig:${totals.calls}`,
      signatures: signatures.slice(start, start + SIGNATURES_PER_CALL),
    });
    totals.calls++;
    totals.accepted += result.accepted;
    totals.duplicates += result.duplicates;
  }
  return totals;
}
