import { Inject, Injectable } from '@nestjs/common';
import { InputValidationError, type FieldProblem } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { pgQuery, pgRows, PrismaService, type IndicatorType, type SqlClient, type Statement } from '@app/database';
import { RateLimitError, RateLimitErrorCode, RateLimitService } from '@app/rate-limit';
import type { SubmissionClaim } from './indicators.sql.js';
import { ProbingThrottleService } from './probing-throttle.service.js';
import { SubmissionQuotas, type QuotaCharge } from './submission-quotas.js';

/** The wait a refusal for concurrency asks for: about one large batch's time, so a client's retry does not spin. */
const CONCURRENT_RETRY_AFTER_SECONDS = 1;
/** The longest a submission holds its concurrency slot should its process die (the transaction's own limit is 15 s). */
const SUBMISSION_SLOT_MS = 60_000;

/** A submission's first result, read back for a replay of its idempotency key. */
export interface SubmissionReplayRow {
  id: string;
  request_hash: Buffer;
  accepted: number;
  duplicates: number;
}

/** What every submission returns. */
export interface SubmissionCounts {
  submissionId: string;
  accepted: number;
  duplicates: number;
}

/** The items of a checked batch, as far as the gate needs them. */
export interface CheckedBatch<Item extends { keyEpoch: string }> {
  items: Item[];
  /** What a reused idempotency key is compared on. */
  hash: Buffer;
  /** The type of each unit the hourly quotas count (one per indicator; 32 PROMPT_TEMPLATE per signature). */
  quotaTypes: IndicatorType[];
}

/** One kind of submission (indicators, template signatures) as the gate runs it. */
export interface GatedSubmission<Item extends { keyEpoch: string }, R extends SubmissionCounts> {
  idempotencyKey: string;
  /** Budget units of the call as sent, priced before its items are checked, so work refused for the budget stays cheap. */
  units: number;
  /** How the budget's refusal names the units ("items", "band tokens"). */
  unitName: string;
  /** Checks the input (throws InputValidationError). */
  check(): CheckedBatch<Item>;
  /** Claims the idempotency key and reads the member's quota state (indicators.claimSubmission or its twin). */
  claim: Statement<[memberId: string, idempotencyKey: string, requestHash: Buffer, epochs: string[]], SubmissionClaim>;
  /** Reads the first result of a taken key. */
  replay: Statement<[memberId: string, idempotencyKey: string], SubmissionReplayRow>;
  /** The error for a reused key with another batch (each module's own IDEMPOTENCY_KEY_REUSED). */
  keyReused(): Error;
  /** Where item `index` came from in the input, for error paths (`indicators.3`). */
  fieldOf(index: number): string;
  /** Stores the batch in the claimed submission's transaction; `stored` is what probing detection counts as new. */
  store(db: SqlClient, submissionId: string, batch: CheckedBatch<Item>): Promise<{ result: R; stored: number }>;
}

/**
 * The admission every submission passes (submitIndicators, submitBundles,
 * submitTemplateSignatures): the member's concurrency slot, its submission
 * budget, the idempotency claim (a retry returns the first result), unknown
 * key epochs, the hourly quotas, refunds when the batch is refused or rolled
 * back (a replay costs neither), and probing detection once it is stored.
 */
@Injectable()
export class SubmissionGate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly rateLimits: RateLimitService,
    private readonly quotas: SubmissionQuotas,
    private readonly probing: ProbingThrottleService,
  ) {}

  /** Runs one submission for `memberId` through the gate, in one transaction scoped to the member; all or nothing. */
  async submit<Item extends { keyEpoch: string }, R extends SubmissionCounts>(
    memberId: string,
    submission: GatedSubmission<Item, R>,
  ): Promise<R | SubmissionCounts> {
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
    // Given back unless the batch is stored (invalid, a replay, or rolled back).
    let priced = 0;
    let stored = false;
    let charges: QuotaCharge[] = [];
    let claim: SubmissionClaim | undefined;
    let itemCount = 0;
    let newItems = 0;
    let result: R | SubmissionCounts;
    try {
      priced = await this.chargeBudget(memberId, submission.units, submission.unitName);
      const batch = submission.check();
      itemCount = batch.items.length;
      // Plain SQL in four round trips (BEGIN, claim, store, COMMIT): this is the hottest path.
      result = await this.prisma.sqlAsMember(memberId, async (db) => {
        const epochs = [...new Set(batch.items.map((it) => it.keyEpoch))];
        const { rows } = await pgQuery(db, submission.claim, [memberId, submission.idempotencyKey, batch.hash, epochs]);
        if (!rows[0].id) return this.replay(db, memberId, batch.hash, submission);
        // Refused inside the transaction: the claim rolls back with it.
        if (rows[0].unknownEpochs) throw unknownEpochsError(batch.items, rows[0].unknownEpochs, submission.fieldOf);
        claim = rows[0];
        charges = await this.quotas.charge(memberId, batch.quotaTypes, claim);
        const done = await submission.store(db, claim.id!, batch);
        newItems = done.stored;
        return done.result;
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
    const committed = claim as SubmissionClaim | undefined;
    if (committed && !committed.throttledSince) await this.probing.observe(memberId, committed.liftedAt, itemCount, newItems);
    return result;
  }

  /**
   * Runs a retraction of `units` items charged to the member's submission
   * budget (one point per item, as a submission's), giving the points back
   * if it fails.
   */
  async retract<R>(memberId: string, units: number, unitName: string, run: () => Promise<R>): Promise<R> {
    const priced = await this.chargeBudget(memberId, units, unitName);
    try {
      return await run();
    } catch (error) {
      if (priced > 0) await this.rateLimits.refund(`subrate:${memberId}`, priced);
      throw error;
    }
  }

  /**
   * Takes SUBMISSION_COST_PER_ITEM points per unit from the member's
   * submission budget, a short window apart from the query-cost budget (a
   * document's cost stops at GRAPHQL_MAX_COST whatever its size): this is
   * what bounds one member's rate of stored or retracted items, and so the
   * share of the API and database it takes from the others. Returns the
   * points taken.
   */
  private async chargeBudget(memberId: string, units: number, unitName: string): Promise<number> {
    const { costPerItem, points, windowSeconds } = this.config.rateLimit.submission;
    const cost = units * costPerItem;
    if (cost === 0) return 0;
    const budget = await this.rateLimits.charge(`subrate:${memberId}`, cost, points, windowSeconds * 1_000);
    if (!budget.allowed) {
      const retryAfterSeconds = Math.max(Math.ceil((budget.resetAt.getTime() - Date.now()) / 1_000), 1);
      throw new RateLimitError(
        RateLimitErrorCode.SubmissionBudget,
        `Submission budget: these ${units} ${unitName} cost ${cost} and ${budget.remaining} of ${points} points remain until ${budget.resetAt.toISOString()}`,
        { cost, limit: points, remaining: budget.remaining, resetAt: budget.resetAt.toISOString(), retryAfterSeconds },
      );
    }
    return cost;
  }

  private async replay<Item extends { keyEpoch: string }, R extends SubmissionCounts>(
    db: SqlClient,
    memberId: string,
    hash: Buffer,
    submission: GatedSubmission<Item, R>,
  ): Promise<SubmissionCounts> {
    const [first] = await pgRows(db, submission.replay, [memberId, submission.idempotencyKey]);
    if (!first) throw new Error(`submission ${submission.idempotencyKey} claimed by another transaction but not readable`);
    if (!first.request_hash.equals(hash)) throw submission.keyReused();
    return { submissionId: first.id, accepted: first.accepted, duplicates: first.duplicates };
  }
}

/** Rule `knownEpoch`: once the federation has key epochs, every item must carry one of their labels. */
function unknownEpochsError(
  items: readonly { keyEpoch: string }[],
  unknown: readonly string[],
  fieldOf: (index: number) => string,
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
