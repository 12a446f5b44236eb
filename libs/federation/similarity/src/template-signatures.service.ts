import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { pgRows, PrismaService, type SqlClient } from '@app/database';
import { SubmissionGate } from '@app/indicators';
import type { RetractTemplateSignaturesInput } from './dto/retract-template-signatures.input.js';
import type { SubmitTemplateSignaturesInput } from './dto/submit-template-signatures.input.js';
import type { TemplateSignatureRetractionResult, TemplateSignatureSubmissionResult } from './models/template-signature-result.model.js';
import { SimilarityError, SimilarityErrorCode } from './similarity.error.js';
import { CLAIM, PUBLISH_REMOVED, REMOVED_EVENT, REPLAY, RETRACT, STORE, STORED_EVENT } from './similarity.sql.js';
import { BANDS_PER_SIGNATURE, dedupeSignatures, requestHash, validateSignatures, type NormalizedSignature } from './validate-signatures.js';

/**
 * Stores and retracts a member's template signatures; judging them against
 * the other members' follows in the worker through the outbox. The same
 * gate as submitIndicators (SubmissionGate): one transaction, all or
 * nothing, idempotent by key; the member's concurrency slot, submission
 * budget and hourly quotas (each signature costs its 32 band tokens, as
 * PROMPT_TEMPLATE indicators); probing detection counts signatures.
 */
@Injectable()
export class TemplateSignaturesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly gate: SubmissionGate,
  ) {}

  /** Stores a batch for `memberId` in one transaction, all or nothing; a retry with the same key returns the first result. */
  async submit(memberId: string, input: SubmitTemplateSignaturesInput): Promise<TemplateSignatureSubmissionResult> {
    const maxItems = this.config.similarity.maxPerSubmission;
    let unique: NormalizedSignature[] = [];
    return this.gate.submit(memberId, {
      idempotencyKey: input.idempotencyKey,
      units: Math.min(input.signatures.length, maxItems) * BANDS_PER_SIGNATURE,
      unitName: 'band tokens',
      check: () => {
        const items = validateSignatures(input.signatures, { maxItems, ttlDays: this.config.indicators.ttlDays.PROMPT_TEMPLATE });
        unique = dedupeSignatures(items);
        return {
          items,
          hash: requestHash(items, input.signatures),
          quotaTypes: new Array(items.length * BANDS_PER_SIGNATURE).fill('PROMPT_TEMPLATE'),
        };
      },
      claim: CLAIM,
      replay: REPLAY,
      keyReused: () =>
        new SimilarityError(
          SimilarityErrorCode.IdempotencyKeyReused,
          'idempotencyKey was already used for a different batch; use a new key for new data',
        ),
      fieldOf: (i) => `signatures.${i}`,
      store: async (db, submissionId, batch) => {
        const result = await this.store(db, memberId, submissionId, unique, batch.items.length);
        return { result, stored: result.accepted };
      },
    });
  }

  /**
   * Retracts the member's live signatures that carry one of these external
   * references: they stop counting at once, and the worker re-judges the
   * signatures they were similar to (closing alerts) before deleting them.
   * Costs one submission-budget point per reference, like retractIndicators per token.
   */
  async retract(memberId: string, input: RetractTemplateSignaturesInput): Promise<TemplateSignatureRetractionResult> {
    return this.gate.retract(memberId, input.externalRefs.length, 'external references', () =>
      this.prisma.sqlAsMember(memberId, async (db) => {
        const rows = await pgRows(db, RETRACT, [memberId, input.externalRefs]);
        if (rows.length > 0) {
          await pgRows(db, PUBLISH_REMOVED, REMOVED_EVENT.values({ signatureIds: rows.map((r) => r.id) }));
        }
        return { retracted: rows.length };
      }),
    );
  }

  private async store(
    db: SqlClient,
    memberId: string,
    submissionId: string,
    items: NormalizedSignature[],
    sent: number,
  ): Promise<TemplateSignatureSubmissionResult> {
    const refs = items.some((it) => it.externalRef !== null) ? items.map((it) => it.externalRef) : null;
    const [row] = await pgRows(db, STORE, [
      memberId,
      submissionId,
      items.map((it) => it.keyEpoch).join(','),
      items.map((it) => it.digest).join(','),
      items.map((it) => it.observedAt.toISOString()).join(','),
      items.map((it) => it.expiresAt.toISOString()).join(','),
      items.map((it) => it.confidence).join(','),
      items.map((it) => (it.discloseIdentity ? 't' : 'f')).join(','),
      items.map((it) => it.bands.join('')).join(','),
      refs,
      ...STORED_EVENT.values({ submissionId }),
      sent,
    ]);
    return { submissionId, accepted: row.accepted, duplicates: row.duplicates };
  }
}
