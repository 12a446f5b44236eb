import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { pgQuery, pgRows, PrismaService, queryRows, type SqlClient } from '@app/database';
import { OutboxService } from '@app/outbox';
import type { RetractIndicatorsInput } from './dto/retract-indicators.input.js';
import type { SubmitIndicatorsInput } from './dto/submit-indicators.input.js';
import { IndicatorError, IndicatorErrorCode } from './indicator.error.js';
import { claimSubmission, retractOwn, storeSubmission, recountSubmission, submissionByKey, submittedEvent } from './indicators.sql.js';
import type { RetractionResult, SubmissionResult } from './models/submission-result.model.js';
import { SubmissionGate } from './submission-gate.js';
import { dedupeItems, isoFormatter, requestHash, validateIndicatorItems, type NormalizedItem } from './validate-items.js';

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
    private readonly gate: SubmissionGate,
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
    const maxItems = extension?.maxItems ?? this.config.indicators.maxPerSubmission;
    const fieldOf = extension?.fieldOf ?? ((i: number) => `indicators.${i}`);
    let unique: NormalizedItem[] = [];
    return this.gate.submit(memberId, {
      idempotencyKey: input.idempotencyKey,
      units: Math.min(input.indicators.length, maxItems),
      unitName: 'items',
      check: () => {
        const items = validateIndicatorItems(input.indicators, { maxItems, ttlDays: this.config.indicators.ttlDays });
        unique = dedupeItems(items);
        return { items, hash: requestHash(items, input.indicators, extension?.hashMaterial), quotaTypes: items.map((it) => it.type) };
      },
      claim: claimSubmission,
      replay: submissionByKey,
      keyReused: () =>
        new IndicatorError(
          IndicatorErrorCode.IdempotencyKeyReused,
          'idempotencyKey was already used for a different batch; use a new key for new data',
        ),
      fieldOf,
      store: async (db, submissionId, batch) => {
        const stored = await this.store(db, memberId, submissionId, unique, batch.items.length);
        if (!extension) return { result: stored, stored: stored.accepted };
        const counts = await extension.within(db, submissionId);
        await pgQuery(db, recountSubmission, [submissionId, counts.accepted, counts.duplicates]);
        return { result: { submissionId, ...counts }, stored: stored.accepted };
      },
    });
  }

  /** Removes the member's records of these tokens at once; alerts built on them are re-evaluated. */
  async retract(memberId: string, input: RetractIndicatorsInput): Promise<RetractionResult> {
    return this.gate.retract(memberId, input.tokens.length, 'items', () => this.retractCharged(memberId, input));
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
