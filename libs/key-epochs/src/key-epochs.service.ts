import { Inject, Injectable } from '@nestjs/common';
import { AuditAction, AuditService, memberActor } from '@app/audit';
import type { AuthenticatedMember } from '@app/auth';
import { InputValidationError, type FieldProblem } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { KeyEpochScheme, PrismaService, type KeyEpoch } from '@app/database';
import { DataKeyService } from '@app/secrets';
import type { EvaluateBlindedInput } from './dto/evaluate-blinded.input.js';
import { EvaluationBudgets, type EvaluatingMember } from './evaluation-budgets.js';
import { oprfKeyContext } from './key-epoch-admin.service.js';
import { keyEpochStatus, OprfKeyStatus } from './key-epoch-status.js';
import type { EvaluateBlindedResult } from './models/evaluate-blinded-result.model.js';
import type { OprfKey } from './models/oprf-key.model.js';
import { OprfEvaluationPool } from './oprf-evaluation.pool.js';
import type { InvalidElement } from './oprf-evaluation.worker.js';
import { ELEMENT_BYTES, fromBase64Url, OPRF_MODE, OPRF_SUITE, oprfInfo, toBase64Url } from './oprf-suite.js';

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
   * non-identity ristretto255 encoding; charges the member's evaluation
   * budgets first and gives the charge back when the batch is refused.
   */
  async evaluate(member: AuthenticatedMember, input: EvaluateBlindedInput, requestId?: string): Promise<EvaluateBlindedResult> {
    const blinded = this.decodeElements(input.blindedElements);
    const epoch = await this.evaluableEpoch(input.keyEpoch);
    const charged = await this.budgets.charge(member.id, input.type, blinded.length, await this.memberState(member.id));
    let outcome;
    try {
      const secretKey = this.dataKey.open(epoch.secretKeyEncrypted!, oprfKeyContext(epoch.label));
      outcome = await this.pool.run({ secretKey, info: oprfInfo(input.type, epoch.label), blinded });
      secretKey.fill(0);
      if ('invalid' in outcome) throw invalidElementsError(outcome.invalid);
    } catch (error) {
      await this.budgets.refund(charged.charges);
      throw error;
    }
    if (charged.opensWindow) {
      await this.audit.record(this.prisma, {
        actor: memberActor(member),
        action: AuditAction.OprfEvaluations,
        target: { type: 'member', id: member.id },
        requestId,
        details: {
          windowEndsAt: charged.budget.resetAt.toISOString(),
          limit: charged.budget.limit,
          firstCall: { keyEpoch: epoch.label, type: input.type, elements: blinded.length },
        },
      });
    }
    return { keyEpoch: epoch.label, evaluatedElements: outcome.evaluatedElements, proof: outcome.proof };
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
    if (!epoch) throw problem('input.keyEpoch', 'knownEpoch', `keyEpoch "${label}" is not a key epoch of this federation (oprfKeys lists them)`);
    if (epoch.scheme !== KeyEpochScheme.TWO_KEY) {
      throw problem('input.keyEpoch', 'twoKeyEpoch', `keyEpoch "${label}" is an HMAC epoch: its tokens need no evaluation`);
    }
    if (keyEpochStatus(epoch, this.config.oprf.retiringDays) === OprfKeyStatus.RETIRED) {
      throw problem('input.keyEpoch', 'notRetired', `keyEpoch "${label}" is retired: its key no longer evaluates; use a current epoch (oprfKeys)`);
    }
    return epoch;
  }

  private async memberState(memberId: string): Promise<EvaluatingMember> {
    const [row] = await this.prisma.$queryRaw<EvaluatingMember[]>`
      SELECT indicators_per_hour AS quota, probing_throttled_since AS "throttledSince" FROM members WHERE id = ${memberId}::uuid`;
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
