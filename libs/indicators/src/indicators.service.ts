import { Inject, Injectable } from '@nestjs/common';
import { InputValidationError, type FieldProblem } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { prepared, PrismaService, type SqlClient } from '@app/database';
import { outboxEventSql, OutboxService } from '@app/outbox';
import { JobName } from '@app/queue';
import { RateLimitError, RateLimitErrorCode, RateLimitService } from '@app/rate-limit';
import type { RetractIndicatorsInput } from './dto/retract-indicators.input.js';
import type { SubmitIndicatorsInput } from './dto/submit-indicators.input.js';
import { IndicatorError, IndicatorErrorCode } from './indicator.exception.js';
import type { RetractionResult, SubmissionResult } from './models/submission-result.model.js';
import { ProbingThrottleService } from './probing-throttle.service.js';
import { SubmissionQuotas, type QuotaCharge } from './submission-quotas.js';
import { dedupeItems, isoFormatter, requestHash, validateIndicatorItems, type NormalizedItem } from './validate-items.js';

/** The wait a refusal for concurrency asks for: about one large batch's time, so a client's retry does not spin. */
const CONCURRENT_RETRY_AFTER_SECONDS = 1;
/** The longest a submission holds its concurrency slot should its process die (the transaction's own limit is 15 s). */
const SUBMISSION_SLOT_MS = 60_000;

/**
 * Claims the idempotency key (a concurrent retry waits here on the first
 * one's row, then finds it taken), reads the member's own quota and probing
 * throttle, and names the batch's epoch labels ($4) that are not key epochs
 * of the federation once it has any (null when all are known, or it has
 * none), in one round trip. `id` is null when the key was taken.
 */
const CLAIM = `
  WITH claimed AS (
    INSERT INTO submissions (member_id, idempotency_key, request_hash, accepted, duplicates)
    VALUES ($1::uuid, $2, $3, 0, 0)
    ON CONFLICT (member_id, idempotency_key) DO NOTHING
    RETURNING id
  )
  SELECT (SELECT id FROM claimed) AS id, m.indicators_per_hour AS quota,
         m.probing_throttled_since AS "throttledSince", m.probing_throttle_lifted_at AS "liftedAt",
         (SELECT array_agg(e.label) FROM unnest($4::text[]) AS e(label)
           WHERE EXISTS (SELECT 1 FROM key_epochs)
             AND NOT EXISTS (SELECT 1 FROM key_epochs k WHERE k.label = e.label)) AS "unknownEpochs"
    FROM (SELECT 1) one LEFT JOIN members m ON m.id = $1::uuid`;

/** The counts an extension's work gives its submission ($1 submission, $2 accepted, $3 duplicates). */
const RECOUNT = 'UPDATE submissions SET accepted = $2::int, duplicates = $3::int WHERE id = $1::uuid';

/** What CLAIM reads. */
interface Claim {
  id: string | null;
  quota: number | null;
  throttledSince: Date | null;
  liftedAt: Date | null;
  unknownEpochs: string[] | null;
}

const EVENT = outboxEventSql('$12', '$13');

/**
 * Upserts every item, records the counts on the submission and publishes
 * `indicators.submitted`: one statement. The count of prior active records
 * comes from the upsert's RETURNING: exactly the rows that keep an earlier
 * first_seen_at (a new row, or an expired one renewed, gets now()). Reading
 * the prior rows in a separate join cost a second lookup per item, and the
 * planner chose a sequential scan of the whole table for it. (A record
 * stored by a transaction that began in the very same microsecond would
 * count as new: harmless for a count.) $10, the external references, is a
 * text[] or null when no item has one.
 */
const STORE = `
  WITH input AS (
    SELECT t.type::"IndicatorType" AS type, t.key_epoch, decode(t.token_hex, 'hex') AS token,
           t.observed_at::timestamptz AS observed_at, t.expires_at::timestamptz AS expires_at,
           t.confidence::int AS confidence, t.disclose::boolean AS disclose_identity, t.external_ref
      FROM unnest(
        string_to_array($3, ','), string_to_array($4, ','), string_to_array($5, ','), string_to_array($6, ','),
        string_to_array($7, ','), string_to_array($8, ','), string_to_array($9, ','), $10::text[]
      ) AS t(type, key_epoch, token_hex, observed_at, expires_at, confidence, disclose, external_ref)
  ),
  upserted AS (
    INSERT INTO indicators AS i (type, key_epoch, token, member_id, confidence, observed_at, first_seen_at,
                                 last_seen_at, expires_at, external_ref, disclose_identity, submission_id)
    SELECT type, key_epoch, token, $1::uuid, confidence, observed_at, now(), now(), expires_at,
           external_ref, disclose_identity, $2::uuid
      FROM input
    ON CONFLICT (type, key_epoch, token, member_id) DO UPDATE SET
      confidence = EXCLUDED.confidence,
      observed_at = GREATEST(i.observed_at, EXCLUDED.observed_at),
      first_seen_at = CASE WHEN i.expires_at <= now() THEN now() ELSE i.first_seen_at END,
      last_seen_at = now(),
      expires_at = EXCLUDED.expires_at,
      external_ref = COALESCE(EXCLUDED.external_ref, i.external_ref),
      disclose_identity = EXCLUDED.disclose_identity,
      submission_id = EXCLUDED.submission_id
    RETURNING first_seen_at
  ),
  counted AS (
    SELECT (SELECT count(*) FROM input)::int - count(*) FILTER (WHERE first_seen_at <> now())::int AS accepted FROM upserted
  ),
  recorded AS (
    UPDATE submissions s SET accepted = c.accepted, duplicates = $11::int - c.accepted
      FROM counted c
     WHERE s.id = $2::uuid
    RETURNING s.accepted, s.duplicates
  ),
  event AS (${EVENT.insert})
  SELECT recorded.accepted, recorded.duplicates FROM recorded, event, ${EVENT.notify}`;

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
        const { rows } = await db.query<Claim>(prepared(CLAIM, [memberId, input.idempotencyKey, hash, epochs]));
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
        await db.query(prepared(RECOUNT, [claim.id!, counts.accepted, counts.duplicates]));
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
      const removed = await tx.$queryRaw<{ token: string }[]>`
        SELECT retracted AS token
          FROM retract_own_indicators(${input.type}::"IndicatorType", ${input.keyEpoch}, ${input.tokens}::text[])`;
      if (removed.length > 0) {
        await this.outbox.publish(tx, JobName.events.IndicatorsRemoved, {
          keys: removed.map((r) => ({ type: input.type, keyEpoch: input.keyEpoch, token: r.token })),
        });
      }
      return { retracted: removed.length };
    });
  }

  private async replay(db: SqlClient, memberId: string, idempotencyKey: string, hash: Buffer): Promise<SubmissionResult> {
    const { rows } = await db.query<{ id: string; request_hash: Buffer; accepted: number; duplicates: number }>(
      'SELECT id, request_hash, accepted, duplicates FROM submissions WHERE member_id = $1::uuid AND idempotency_key = $2',
      [memberId, idempotencyKey],
    );
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
    const { rows } = await db.query<{ accepted: number; duplicates: number }>(
      prepared(STORE, [
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
        JobName.events.IndicatorsSubmitted,
        JSON.stringify({ submissionId }),
      ]),
    );
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
