import { Inject, Injectable } from '@nestjs/common';
import { InputValidationError, type FieldProblem } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { pgQuery, pgRows, PrismaService, queryRows, type SqlClient } from '@app/database';
import { OutboxService } from '@app/outbox';
import { RateLimitError, RateLimitErrorCode, RateLimitService } from '@app/rate-limit';
import type { RetractIndicatorsInput } from './dto/retract-indicators.input.js';
import type { SubmitIndicatorsInput } from './dto/submit-indicators.input.js';
import { IndicatorError, IndicatorErrorCode } from './indicator.error.js';
import {
  claimSubmission,
  retractOwn,
  storeSubmission,
  recountSubmission,
  submissionByKey,
  submittedEvent,
  type SubmissionClaim,
} from './indicators.sql.js';
import type { RetractionResult, SubmissionResult } from './models/submission-result.model.js';
import { ProbingThrottleService } from './probing-throttle.service.js';
import { SubmissionQuotas, type QuotaCharge } from './submission-quotas.js';
import { dedupeItems, isoFormatter, requestHash, validateIndicatorItems, type NormalizedItem } from './validate-items.js';

/** The wait a refusal for concurrency asks for: about one large batch's time, so a client's retry does not spin. */
const CONCURRENT_RETRY_AFTER_SECONDS = 1;
/** The longest a submission holds its concurrency slot should its process die (the transaction's own limit is 15 s). */
const SUBMISSION_SLOT_MS = 60_000;

type Claim = SubmissionClaim;

/**
 * What a caller adds to a submission's transaction (submitBundles): it runs
 * after the indicators are stored, commits or rolls back with them, and its
 * counts become the submission's (what a replay returns).
 */
export interface SubmissionExtension {
  /** Mixed into the request hash: a reused key with another payload is refused. */
  hashMaterial: string;
  /** Most indicators the call may carry, instead of MAX_INDICATORS_PER_SUBMISSION. */
  maxItems: number;
  /** Where item `index` came from in the caller's input, for error paths (`bundles.2.indicators.0`). */
  fieldOf(index: number): string;
  /** Runs in the submission's transaction once the indicators are stored. */
  within(db: SqlClient, submissionId: string): Promise<{ accepted: number; duplicates: number }>;
}

/** Stores and retracts a member's hashed indicators; correlation follows through the outbox. */
@Injectable()
export class IndicatorsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
    private readonly rateLimits: RateLimitService,
    private readonly quotas: SubmissionQuotas,
    private readonly probing: ProbingThrottleService,
  ) {}

  /**
   * Stores a batch for `memberId` in one transaction, all or nothing. A retry
   * with the same idempotency key returns the first result; concurrent
   * retries wait on the first one's row and then return its result. New
   * batches are charged to the member's submission budget and its hourly
   * quotas, and the charges are refunded if the batch is refused or rolled
   * back (a replay costs neither); a stored batch counts towards probing
   * detection (ProbingThrottleService).
   */
  async submit(memberId: string, input: SubmitIndicatorsInput, extension?: SubmissionExtension): Promise<SubmissionResult> {
    // A member's submissions in progress are bounded across API processes: one member's large batches cannot
    // take every database connection, or the API's time checking items, from the others.
    const limit = this.config.rateLimit.submissionMemberConcurrency;
    const slot = await this.rateLimits.enter(`subcc:${memberId}`, limit, SUBMISSION_SLOT_MS);
    if (!slot) {
      throw new RateLimitError(
        RateLimitErrorCode.ConcurrentSubmissions,
        `Too many concurrent submissions: ${limit} of this member's are in progress; retry when one has answered`,
        { limit, retryAfterSeconds: CONCURRENT_RETRY_AFTER_SECONDS },
      );
    }
    // Priced before the items are checked, so that work refused for the budget stays cheap; given back unless
    // the batch is stored (invalid, a replay, or rolled back).
    let priced = 0;
    let stored = false;
    let charges: QuotaCharge[] = [];
    let claim: Claim | undefined;
    let itemCount = 0;
    let newIndicators = 0;
    let result: SubmissionResult;
    const maxItems = extension?.maxItems ?? this.config.indicators.maxPerSubmission;
    try {
      priced = await this.chargeBudget(memberId, Math.min(input.indicators.length, maxItems));
      const items = validateIndicatorItems(input.indicators, {
        maxItems,
        ttlDays: this.config.indicators.ttlDays,
      });
      itemCount = items.length;
      const hash = requestHash(items, input.indicators, extension?.hashMaterial);
      const unique = dedupeItems(items);
      // One transaction, scoped to the member: row-level security checks every row it writes.
      // Plain SQL in four round trips (BEGIN, claim, upsert, COMMIT): this is the hottest path.
      result = await this.prisma.sqlAsMember(memberId, async (db) => {
        const epochs = [...new Set(items.map((it) => it.keyEpoch))];
        const { rows } = await pgQuery(db, claimSubmission, [memberId, input.idempotencyKey, hash, epochs]);
        if (!rows[0].id) return this.replay(db, memberId, input.idempotencyKey, hash);
        // Refused inside the transaction: the claim rolls back with it.
        if (rows[0].unknownEpochs) throw unknownEpochsError(items, rows[0].unknownEpochs, extension?.fieldOf);
        claim = rows[0];

        charges = await this.quotas.charge(
          memberId,
          items.map((it) => it.type),
          claim,
        );
        const stored = await this.store(db, memberId, claim.id!, unique, items.length);
        newIndicators = stored.accepted;
        if (!extension) return stored;
        const counts = await extension.within(db, claim.id!);
        await pgQuery(db, recountSubmission, [claim.id!, counts.accepted, counts.duplicates]);
        return { submissionId: claim.id!, ...counts };
      });
      stored = claim !== undefined;
    } catch (error) {
      await this.quotas.refund(charges);
      throw error;
    } finally {
      if (!stored && priced > 0) await this.rateLimits.refund(`subrate:${memberId}`, priced);
      await this.rateLimits.leave(`subcc:${memberId}`, slot);
    }
    // Committed: count it for probing detection (a retry replayed above is not counted twice).
    if (claim && !claim.throttledSince) await this.probing.observe(memberId, claim.liftedAt, itemCount, newIndicators);
    return result;
  }

  /**
   * Takes SUBMISSION_COST_PER_ITEM points per item from the member's
   * submission budget, a short window apart from the query-cost budget (a
   * document's cost stops at GRAPHQL_MAX_COST whatever its size): this is
   * what bounds one member's rate of stored or retracted items, and so the
   * share of the API and database it takes from the others. Returns the
   * points taken.
   */
  private async chargeBudget(memberId: string, items: number): Promise<number> {
    const { costPerItem, points, windowSeconds } = this.config.rateLimit.submission;
    const cost = items * costPerItem;
    if (cost === 0) return 0;
    const budget = await this.rateLimits.charge(`subrate:${memberId}`, cost, points, windowSeconds * 1_000);
    if (!budget.allowed) {
      const retryAfterSeconds = Math.max(Math.ceil((budget.resetAt.getTime() - Date.now()) / 1_000), 1);
      throw new RateLimitError(
        RateLimitErrorCode.SubmissionBudget,
        `Submission budget: these ${items} items cost ${cost} and ${budget.remaining} of ${points} points remain until ${budget.resetAt.toISOString()}`,
        { cost, limit: points, remaining: budget.remaining, resetAt: budget.resetAt.toISOString(), retryAfterSeconds },
      );
    }
    return cost;
  }

  /** Removes the member's records of these tokens at once; alerts built on them are re-evaluated. */
  async retract(memberId: string, input: RetractIndicatorsInput): Promise<RetractionResult> {
    const priced = await this.chargeBudget(memberId, input.tokens.length);
    return this.retractCharged(memberId, input).catch(async (error: unknown) => {
      if (priced > 0) await this.rateLimits.refund(`subrate:${memberId}`, priced);
      throw error;
    });
  }

  private retractCharged(memberId: string, input: RetractIndicatorsInput): Promise<RetractionResult> {
    return this.prisma.asMember(memberId, async (tx) => {
      // Deletes the scoped member's own records only; a function, so that the lookup can use the
      // primary key, which row-level security keeps the API's role from using (row_level_security migration).
      const removed = await queryRows(tx, retractOwn, [input.type, input.keyEpoch, input.tokens]);
      if (removed.length > 0) {
        await this.outbox.publish(tx, 'indicators.removed', {
          keys: removed.map((r) => ({ type: input.type, keyEpoch: input.keyEpoch, token: r.token })),
        });
      }
      return { retracted: removed.length };
    });
  }

  private async replay(db: SqlClient, memberId: string, idempotencyKey: string, hash: Buffer): Promise<SubmissionResult> {
    const rows = await pgRows(db, submissionByKey, [memberId, idempotencyKey]);
    const first = rows[0];
    if (!first) throw new Error(`submission ${idempotencyKey} claimed by another transaction but not readable`);
    if (!first.request_hash.equals(hash)) {
      throw new IndicatorError(
        IndicatorErrorCode.IdempotencyKeyReused,
        'idempotencyKey was already used for a different batch; use a new key for new data',
      );
    }
    return { submissionId: first.id, accepted: first.accepted, duplicates: first.duplicates };
  }

  /**
   * One statement stores the batch, records its counts on the submission and
   * publishes the outbox event (see STORE). Columns travel as one string each
   * (split in SQL) where no value can hold a comma; that spares
   * node-postgres escaping every element of eight arrays.
   */
  private async store(
    db: SqlClient,
    memberId: string,
    submissionId: string,
    items: NormalizedItem[],
    sent: number,
  ): Promise<SubmissionResult> {
    const n = items.length;
    const types = new Array<string>(n);
    const epochs = new Array<string>(n);
    const tokens = new Array<string>(n);
    const observed = new Array<string>(n);
    const expires = new Array<string>(n);
    const confidence = new Array<number>(n);
    const disclose = new Array<string>(n);
    let refs: (string | null)[] | null = null;
    const iso = isoFormatter();
    for (let i = 0; i < n; i++) {
      const it = items[i];
      types[i] = it.type;
      epochs[i] = it.keyEpoch;
      tokens[i] = it.token;
      observed[i] = iso(it.observedAt);
      expires[i] = iso(it.expiresAt);
      confidence[i] = it.confidence;
      disclose[i] = it.discloseIdentity ? 't' : 'f';
      if (it.externalRef !== null) (refs ??= new Array<string | null>(n).fill(null))[i] = it.externalRef;
    }
    const rows = await pgRows(db, storeSubmission, [
      memberId,
      submissionId,
      types.join(','),
      epochs.join(','),
      tokens.join(','),
      observed.join(','),
      expires.join(','),
      confidence.join(','),
      disclose.join(','),
      refs,
      sent,
      ...submittedEvent.values({ submissionId }),
    ]);
    return { submissionId, accepted: rows[0].accepted, duplicates: rows[0].duplicates };
  }
}

/** Rule `knownEpoch`: once the federation has key epochs, every token must carry one of their labels. */
function unknownEpochsError(
  items: readonly NormalizedItem[],
  unknown: readonly string[],
  fieldOf: (index: number) => string = (i) => `indicators.${i}`,
): InputValidationError {
  const labels = new Set(unknown);
  const problems: FieldProblem[] = [];
  for (let i = 0; i < items.length && problems.length < 1000; i++) {
    if (!labels.has(items[i].keyEpoch)) continue;
    problems.push({
      field: `${fieldOf(i)}.keyEpoch`,
      rule: 'knownEpoch',
      message: `keyEpoch "${items[i].keyEpoch}" is not a key epoch of this federation (oprfKeys lists the two-key ones; an operator creates epochs with create-key-epoch)`,
    });
  }
  return new InputValidationError(problems);
}
