import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService } from '@app/database';
import { OutboxService } from '@app/outbox';
import { JobName } from '@app/queue';
import { RateLimitError, RateLimitErrorCode, RateLimitService } from '@app/rate-limit';
import type { RetractIndicatorsInput } from './dto/retract-indicators.input.js';
import type { SubmitIndicatorsInput } from './dto/submit-indicators.input.js';
import { IndicatorError, IndicatorErrorCode } from './indicator.exception.js';
import type { RetractionResult, SubmissionResult } from './models/submission-result.model.js';
import { dedupeItems, requestHash, validateIndicatorItems, type NormalizedItem } from './validate-items.js';

type Tx = Parameters<Parameters<PrismaService['$transaction']>[0]>[0];

/** Upper bound of one submission transaction; a 10,000-item batch takes well under a second. */
const TX_TIMEOUT_MS = 60_000;

/** Stores and retracts a member's hashed indicators; correlation follows through the outbox. */
@Injectable()
export class IndicatorsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
    private readonly rateLimits: RateLimitService,
  ) {}

  /**
   * Stores a batch for `memberId` in one transaction, all or nothing. A retry
   * with the same idempotency key returns the first result; concurrent
   * retries wait on the first one's row and then return its result. New
   * batches are charged to the member's hourly submission quota, and the
   * charge is refunded if the batch is refused or rolled back.
   */
  async submit(memberId: string, input: SubmitIndicatorsInput): Promise<SubmissionResult> {
    const items = validateIndicatorItems(input.indicators, {
      maxItems: this.config.indicators.maxPerSubmission,
      ttlDays: this.config.indicators.ttlDays,
    });
    const hash = requestHash(items, input.indicators);
    const unique = dedupeItems(items);

    let charged = 0;
    try {
      // One transaction, scoped to the member: row-level security checks every row it writes.
      return await this.prisma.asMember(
        memberId,
        async (tx) => {
          const claimed = await tx.$queryRaw<{ id: string }[]>`
            INSERT INTO submissions (member_id, idempotency_key, request_hash, accepted, duplicates)
            VALUES (${memberId}::uuid, ${input.idempotencyKey}, ${hash}, 0, 0)
            ON CONFLICT (member_id, idempotency_key) DO NOTHING
            RETURNING id`;
          if (claimed.length === 0) return this.replay(tx, memberId, input.idempotencyKey, hash);

          await this.chargeQuota(tx, memberId, items.length);
          charged = items.length;
          const submissionId = claimed[0].id;
          const prior = await this.upsert(tx, memberId, submissionId, unique);
          const accepted = unique.length - prior;
          const result = { submissionId, accepted, duplicates: items.length - accepted };
          await tx.$executeRaw`
            UPDATE submissions SET accepted = ${result.accepted}, duplicates = ${result.duplicates}
             WHERE id = ${submissionId}::uuid`;
          await this.outbox.publish(tx, JobName.events.IndicatorsSubmitted, { submissionId });
          return result;
        },
        { timeout: TX_TIMEOUT_MS, maxWait: TX_TIMEOUT_MS },
      );
    } catch (error) {
      if (charged > 0) await this.rateLimits.refund(`sub:${memberId}`, charged);
      throw error;
    }
  }

  /** Takes `count` from the member's hourly quota (its own, set by an admin, or the default). */
  private async chargeQuota(tx: Tx, memberId: string, count: number): Promise<void> {
    const [row] = await tx.$queryRaw<{ quota: number | null }[]>`
      SELECT indicators_per_hour AS quota FROM members WHERE id = ${memberId}::uuid`;
    const quota = row?.quota ?? this.config.rateLimit.submissionQuotaPerHour;
    const budget = await this.rateLimits.charge(`sub:${memberId}`, count, quota, 3_600_000);
    if (!budget.allowed) {
      throw new RateLimitError(
        RateLimitErrorCode.SubmissionQuota,
        `Submission quota: this batch has ${count} indicators and ${budget.remaining} of ${quota} remain this hour (until ${budget.resetAt.toISOString()})`,
        { limit: quota, remaining: budget.remaining, resetAt: budget.resetAt.toISOString() },
      );
    }
  }

  /** Removes the member's records of these tokens at once; alerts built on them are re-evaluated. */
  async retract(memberId: string, input: RetractIndicatorsInput): Promise<RetractionResult> {
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

  private async replay(
    tx: Tx,
    memberId: string,
    idempotencyKey: string,
    hash: Buffer,
  ): Promise<SubmissionResult> {
    const first = await tx.submission.findUniqueOrThrow({
      where: { memberId_idempotencyKey: { memberId, idempotencyKey } },
    });
    if (!Buffer.from(first.requestHash).equals(hash)) {
      throw new IndicatorError(
        IndicatorErrorCode.IdempotencyKeyReused,
        'idempotencyKey was already used for a different batch; use a new key for new data',
      );
    }
    return { submissionId: first.id, accepted: first.accepted, duplicates: first.duplicates };
  }

  /**
   * One statement: upserts every item and returns how many of them this
   * member already held actively. Those are exactly the rows that keep an
   * earlier first_seen_at: a new row, or an expired one renewed, gets now().
   * (Reading the prior rows in a separate join cost a second lookup per item,
   * and the planner chose a sequential scan of the whole table for it. A
   * record stored by a transaction that began in the very same microsecond
   * would count as new: harmless for a count.)
   */
  private async upsert(
    tx: Tx,
    memberId: string,
    submissionId: string,
    items: NormalizedItem[],
  ): Promise<number> {
    const rows = await tx.$queryRaw<{ prior: bigint }[]>`
      WITH input AS (
        SELECT type, key_epoch, decode(token_hex, 'hex') AS token, observed_at, expires_at,
               confidence, external_ref, disclose_identity
          FROM unnest(
            ${items.map((i) => i.type)}::"IndicatorType"[],
            ${items.map((i) => i.keyEpoch)}::text[],
            ${items.map((i) => i.token)}::text[],
            ${items.map((i) => i.observedAt.toISOString())}::timestamptz[],
            ${items.map((i) => i.expiresAt.toISOString())}::timestamptz[],
            ${items.map((i) => i.confidence)}::int[],
            ${items.map((i) => i.externalRef)}::text[],
            ${items.map((i) => i.discloseIdentity)}::boolean[]
          ) AS t(type, key_epoch, token_hex, observed_at, expires_at, confidence, external_ref, disclose_identity)
      ),
      upserted AS (
        INSERT INTO indicators AS i (type, key_epoch, token, member_id, confidence, observed_at, first_seen_at,
                                     last_seen_at, expires_at, external_ref, disclose_identity, submission_id)
        SELECT type, key_epoch, token, ${memberId}::uuid, confidence, observed_at, now(), now(), expires_at,
               external_ref, disclose_identity, ${submissionId}::uuid
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
      )
      SELECT count(*) FILTER (WHERE first_seen_at <> now()) AS prior FROM upserted`;
    return Number(rows[0].prior);
  }
}
