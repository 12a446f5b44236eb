import { Inject, Injectable } from '@nestjs/common';
import { InputValidationError, type FieldProblem } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { pgRows, PrismaService, type SqlClient } from '@app/database';
import { ProbingThrottleService, SubmissionQuotas, type QuotaCharge } from '@app/indicators';
import { RateLimitError, RateLimitErrorCode, RateLimitService } from '@app/rate-limit';
import type { RetractTemplateSignaturesInput } from './dto/retract-template-signatures.input.js';
import type { SubmitTemplateSignaturesInput } from './dto/submit-template-signatures.input.js';
import type { TemplateSignatureRetractionResult, TemplateSignatureSubmissionResult } from './models/template-signature-result.model.js';
import { SimilarityError, SimilarityErrorCode } from './similarity.error.js';
import { CLAIM, PUBLISH_REMOVED, REMOVED_EVENT, REPLAY, RETRACT, STORE, STORED_EVENT, type ClaimRow } from './similarity.sql.js';
import { BANDS_PER_SIGNATURE, dedupeSignatures, requestHash, validateSignatures, type NormalizedSignature } from './validate-signatures.js';

const CONCURRENT_RETRY_AFTER_SECONDS = 1;
const SUBMISSION_SLOT_MS = 60_000;

/**
 * Stores and retracts a member's template signatures; judging them against
 * the other members' follows in the worker through the outbox. The same
 * rules as submitIndicators: one transaction, all or nothing, idempotent by
 * key; the member's concurrency slot, submission budget and hourly quotas
 * (each signature costs its 32 band tokens, as PROMPT_TEMPLATE indicators);
 * probing detection counts signatures.
 */
@Injectable()
export class TemplateSignaturesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly rateLimits: RateLimitService,
    private readonly quotas: SubmissionQuotas,
    private readonly probing: ProbingThrottleService,
  ) {}

  /** Stores a batch for `memberId` in one transaction, all or nothing; a retry with the same key returns the first result. */
  async submit(memberId: string, input: SubmitTemplateSignaturesInput): Promise<TemplateSignatureSubmissionResult> {
    const limit = this.config.rateLimit.submissionMemberConcurrency;
    const slot = await this.rateLimits.enter(`subcc:${memberId}`, limit, SUBMISSION_SLOT_MS);
    if (!slot) {
      throw new RateLimitError(
        RateLimitErrorCode.ConcurrentSubmissions,
        `Too many concurrent submissions: ${limit} of this member's are in progress; retry when one has answered`,
        { limit, retryAfterSeconds: CONCURRENT_RETRY_AFTER_SECONDS },
      );
    }
    let priced = 0;
    let stored = false;
    let charges: QuotaCharge[] = [];
    let claim: ClaimRow | undefined;
    let itemCount = 0;
    let result: TemplateSignatureSubmissionResult;
    try {
      const sent = Math.min(input.signatures.length, this.config.similarity.maxPerSubmission);
      priced = await this.chargeBudget(memberId, sent * BANDS_PER_SIGNATURE);
      const items = validateSignatures(input.signatures, {
        maxItems: this.config.similarity.maxPerSubmission,
        ttlDays: this.config.indicators.ttlDays.PROMPT_TEMPLATE,
      });
      itemCount = items.length;
      const hash = requestHash(items, input.signatures);
      const unique = dedupeSignatures(items);
      result = await this.prisma.sqlAsMember(memberId, async (db) => {
        const epochs = [...new Set(items.map((it) => it.keyEpoch))];
        const [row] = await pgRows(db, CLAIM, [memberId, input.idempotencyKey, hash, epochs]);
        if (!row.id) return this.replay(db, memberId, input.idempotencyKey, hash);
        // Refused inside the transaction: the claim rolls back with it.
        if (row.unknownEpochs) throw unknownEpochsError(items, row.unknownEpochs);
        claim = row;
        charges = await this.quotas.charge(memberId, new Array(items.length * BANDS_PER_SIGNATURE).fill('PROMPT_TEMPLATE'), claim);
        return this.store(db, memberId, row.id, unique, items.length);
      });
      stored = claim !== undefined;
    } catch (error) {
      await this.quotas.refund(charges);
      throw error;
    } finally {
      if (!stored && priced > 0) await this.rateLimits.refund(`subrate:${memberId}`, priced);
      await this.rateLimits.leave(`subcc:${memberId}`, slot);
    }
    if (claim && !claim.throttledSince) await this.probing.observe(memberId, claim.liftedAt, itemCount, result.accepted);
    return result;
  }

  /**
   * Retracts the member's live signatures that carry one of these external
   * references: they stop counting at once, and the worker re-judges the
   * signatures they were similar to (closing alerts) before deleting them.
   * Costs one submission-budget point per reference, like retractIndicators per token.
   */
  async retract(memberId: string, input: RetractTemplateSignaturesInput): Promise<TemplateSignatureRetractionResult> {
    const priced = await this.chargeBudget(memberId, input.externalRefs.length);
    try {
      return await this.prisma.sqlAsMember(memberId, async (db) => {
        const rows = await pgRows(db, RETRACT, [memberId, input.externalRefs]);
        if (rows.length > 0) {
          await pgRows(db, PUBLISH_REMOVED, REMOVED_EVENT.values({ signatureIds: rows.map((r) => r.id) }));
        }
        return { retracted: rows.length };
      });
    } catch (error) {
      if (priced > 0) await this.rateLimits.refund(`subrate:${memberId}`, priced);
      throw error;
    }
  }

  /** The submission budget of submitIndicators (SUBMISSION_COST_PER_ITEM per band token). */
  private async chargeBudget(memberId: string, items: number): Promise<number> {
    const { costPerItem, points, windowSeconds } = this.config.rateLimit.submission;
    const cost = items * costPerItem;
    if (cost === 0) return 0;
    const budget = await this.rateLimits.charge(`subrate:${memberId}`, cost, points, windowSeconds * 1_000);
    if (!budget.allowed) {
      const retryAfterSeconds = Math.max(Math.ceil((budget.resetAt.getTime() - Date.now()) / 1_000), 1);
      throw new RateLimitError(
        RateLimitErrorCode.SubmissionBudget,
        `Submission budget: these ${items} band tokens cost ${cost} and ${budget.remaining} of ${points} points remain until ${budget.resetAt.toISOString()}`,
        { cost, limit: points, remaining: budget.remaining, resetAt: budget.resetAt.toISOString(), retryAfterSeconds },
      );
    }
    return cost;
  }

  private async replay(db: SqlClient, memberId: string, key: string, hash: Buffer): Promise<TemplateSignatureSubmissionResult> {
    const [first] = await pgRows(db, REPLAY, [memberId, key]);
    if (!first) throw new Error(`template signature submission ${key} claimed by another transaction but not readable`);
    if (!first.request_hash.equals(hash)) {
      throw new SimilarityError(
        SimilarityErrorCode.IdempotencyKeyReused,
        'idempotencyKey was already used for a different batch; use a new key for new data',
      );
    }
    return { submissionId: first.id, accepted: first.accepted, duplicates: first.duplicates };
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

/** Rule `knownEpoch`: once the federation has key epochs, every signature must carry one of their labels. */
function unknownEpochsError(items: readonly NormalizedSignature[], unknown: readonly string[]): InputValidationError {
  const labels = new Set(unknown);
  const problems: FieldProblem[] = [];
  for (let i = 0; i < items.length && problems.length < 1000; i++) {
    if (!labels.has(items[i].keyEpoch)) continue;
    problems.push({
      field: `signatures.${i}.keyEpoch`,
      rule: 'knownEpoch',
      message: `keyEpoch "${items[i].keyEpoch}" is not a key epoch of this federation (oprfKeys lists the two-key ones; an operator creates epochs with create-key-epoch)`,
    });
  }
  return new InputValidationError(problems);
}
