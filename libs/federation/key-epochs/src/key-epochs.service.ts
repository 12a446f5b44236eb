import { Inject, Injectable } from '@nestjs/common';
import { AuditAction, AuditService, memberActor } from '@app/audit';
import type { AuthenticatedMember } from '@app/auth';
import { InputValidationError, type FieldProblem } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { KeyEpochScheme, PrismaService, queryRows, type KeyEpoch } from '@app/database';
import { RateLimitError, RateLimitErrorCode, RateLimitService, type Budget } from '@app/rate-limit';
import { DataKeyService } from '@app/secrets';
import type { EvaluateBlindedInput } from './dto/evaluate-blinded.input.js';
import { EvaluationBudgets, type EvaluatingMember } from './evaluation-budgets.js';
import { oprfKeyContext } from './key-epoch-admin.service.js';
import { keyEpochStatus, OprfKeyStatus } from './key-epoch-status.js';
import { evaluatingMember } from './key-epochs.sql.js';
import type { EvaluateBlindedResult } from './models/evaluate-blinded-result.model.js';
import type { OprfKey } from './models/oprf-key.model.js';
import { OprfEvaluationPool } from './oprf-evaluation.pool.js';
import type { EvaluationOutcome, InvalidElement } from './oprf-evaluation.worker.js';
import { ELEMENT_BYTES, fromBase64Url, OPRF_MODE, OPRF_SUITE, oprfInfo, toBase64Url } from './oprf-suite.js';

/** The longest an evaluation holds its concurrency slot should its process die. */
const EVALUATION_SLOT_MS = 60_000;

/** Most per-element problems one refusal lists. */
const MAX_ELEMENT_PROBLEMS = 20;

const problem = (field: string, rule: string, message: string): InputValidationError =>
  new InputValidationError([{ field, rule, message }]);

/** The server half of two-key tokens: the published keys, and blind evaluation under them. */
@Injectable()
export class KeyEpochsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly dataKey: DataKeyService,
    private readonly pool: OprfEvaluationPool,
    private readonly budgets: EvaluationBudgets,
    private readonly rateLimits: RateLimitService,
    private readonly audit: AuditService,
  ) {}

  /** Every TWO_KEY epoch's public key and status, oldest window first. */
  async oprfKeys(now = new Date()): Promise<OprfKey[]> {
    const rows = await this.prisma.keyEpoch.findMany({
      where: { scheme: KeyEpochScheme.TWO_KEY },
      orderBy: [{ notBefore: 'asc' }, { label: 'asc' }],
    });
    return rows.map((row) => ({
      keyEpoch: row.label,
      suite: row.suite!,
      mode: row.mode!,
      publicKey: toBase64Url(row.publicKey!),
      notBefore: row.notBefore,
      notAfter: row.notAfter,
      status: keyEpochStatus(row, this.config.oprf.retiringDays, now),
    }));
  }

  /**
   * Evaluates the member's blinded elements under the epoch's key for the
   * info `sigfed:v1:<type>:<keyEpoch>`, on the worker pool, with one batched
   * proof. Refuses, naming the field and rule, an unknown, HMAC or retired
   * epoch, an empty or oversized batch and any element that is not a valid
   * non-identity ristretto255 encoding; holds one of the member's
   * OPRF_MEMBER_CONCURRENCY slots while it runs, charges the member's
   * evaluation budgets first and gives the charge back when the batch is
   * refused.
   */
  async evaluate(member: AuthenticatedMember, input: EvaluateBlindedInput, requestId?: string): Promise<EvaluateBlindedResult> {
    const blinded = this.decodeElements(input.blindedElements);
    const epoch = await this.evaluableEpoch(input.keyEpoch);
    const limit = this.config.oprf.memberConcurrency;
    const slot = await this.rateLimits.enter(`oprfcc:${member.id}`, limit, EVALUATION_SLOT_MS);
    if (!slot) {
      throw new RateLimitError(
        RateLimitErrorCode.ConcurrentEvaluations,
        `Too many concurrent evaluations: ${limit} of this member's evaluateBlinded calls are in progress; retry when one has answered`,
        { limit, retryAfterSeconds: 1 },
      );
    }
    try {
      const charged = await this.budgets.charge(member.id, input.type, blinded.length, await this.memberState(member.id));
      let outcome: EvaluationOutcome;
      try {
        outcome = await this.run(epoch, input.type, blinded);
        if ('invalid' in outcome) throw invalidElementsError(outcome.invalid);
      } catch (error) {
        await this.budgets.refund(charged.charges);
        throw error;
      }
      if (charged.opensWindow) await this.auditWindow(member, epoch.label, input.type, blinded.length, charged.budget, requestId);
      return { keyEpoch: epoch.label, evaluatedElements: outcome.evaluatedElements, proof: outcome.proof };
    } finally {
      await this.rateLimits.leave(`oprfcc:${member.id}`, slot);
    }
  }

  /** Opens the epoch's key for this one call and evaluates on the pool; the opened copy is wiped afterwards. */
  private async run(epoch: KeyEpoch, type: string, blinded: Uint8Array[]): Promise<EvaluationOutcome> {
    const secretKey = this.dataKey.open(epoch.secretKeyEncrypted!, oprfKeyContext(epoch.label));
    try {
      return await this.pool.run({ secretKey, info: oprfInfo(type, epoch.label), blinded });
    } finally {
      secretKey.fill(0);
    }
  }

  /** One `oprf.evaluations` entry per member per budget window, on the window's first call. */
  private async auditWindow(
    member: AuthenticatedMember,
    keyEpoch: string,
    type: string,
    elements: number,
    budget: Budget,
    requestId?: string,
  ): Promise<void> {
    await this.audit.record(this.prisma, {
      actor: memberActor(member),
      action: AuditAction.OprfEvaluations,
      target: { type: 'member', id: member.id },
      requestId,
      details: { windowEndsAt: budget.resetAt.toISOString(), limit: budget.limit, firstCall: { keyEpoch, type, elements } },
    });
  }

  /** Checks the batch's size and each element's encoding (32 bytes, unpadded base64url), naming every bad index. */
  private decodeElements(elements: readonly string[]): Uint8Array[] {
    const max = this.config.oprf.maxElementsPerCall;
    if (elements.length === 0) throw problem('input.blindedElements', 'minElements', 'blindedElements must contain at least 1 element');
    if (elements.length > max) {
      throw problem(
        'input.blindedElements',
        'maxElements',
        `blindedElements must contain at most ${max} elements (OPRF_MAX_ELEMENTS_PER_CALL; got ${elements.length}); split the batch`,
      );
    }
    const problems: FieldProblem[] = [];
    const decoded = elements.map((text, i) => {
      const bytes = fromBase64Url(text, ELEMENT_BYTES);
      if (!bytes && problems.length < MAX_ELEMENT_PROBLEMS) {
        problems.push({
          field: `input.blindedElements.${i}`,
          rule: 'validElement',
          message: `blindedElements.${i} must be unpadded base64url of a ${ELEMENT_BYTES}-byte ristretto255 element (43 characters)`,
        });
      }
      return bytes!;
    });
    if (problems.length > 0) throw new InputValidationError(problems);
    return decoded;
  }

  /** The epoch, when it is a TWO_KEY epoch that is not retired. */
  private async evaluableEpoch(label: string): Promise<KeyEpoch> {
    const epoch = await this.prisma.keyEpoch.findUnique({ where: { label } });
    if (!epoch)
      throw problem('input.keyEpoch', 'knownEpoch', `keyEpoch "${label}" is not a key epoch of this federation (oprfKeys lists them)`);
    if (epoch.scheme !== KeyEpochScheme.TWO_KEY) {
      throw problem('input.keyEpoch', 'twoKeyEpoch', `keyEpoch "${label}" is an HMAC epoch: its tokens need no evaluation`);
    }
    if (keyEpochStatus(epoch, this.config.oprf.retiringDays) === OprfKeyStatus.RETIRED) {
      throw problem(
        'input.keyEpoch',
        'notRetired',
        `keyEpoch "${label}" is retired: its key no longer evaluates; use a current epoch (oprfKeys)`,
      );
    }
    return epoch;
  }

  private async memberState(memberId: string): Promise<EvaluatingMember> {
    const [row] = await queryRows(this.prisma, evaluatingMember, [memberId]);
    return row ?? { quota: null, throttledSince: null };
  }
}

function invalidElementsError(invalid: readonly InvalidElement[]): InputValidationError {
  return new InputValidationError(
    invalid.slice(0, MAX_ELEMENT_PROBLEMS).map(({ index, reason }) => ({
      field: `input.blindedElements.${index}`,
      rule: 'validElement',
      message:
        reason === 'identity'
          ? `blindedElements.${index} is the identity element, which RFC 9497 refuses`
          : `blindedElements.${index} is not a valid ristretto255 encoding`,
    })),
  );
}
