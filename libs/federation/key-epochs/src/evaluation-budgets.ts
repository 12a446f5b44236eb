import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import type { IndicatorType } from '@app/database';
import { RateLimitError, RateLimitErrorCode, RateLimitService, type Budget } from '@app/rate-limit';

const HOUR_MS = 3_600_000;

/** One charge taken from a budget, to give back should the evaluation not happen. */
export interface EvaluationCharge {
  key: string;
  points: number;
}

/** What the budgets need to know of the member. */
export interface EvaluatingMember {
  /** Its own submission quota, when an admin set one. */
  quota: number | null;
  /** Since when it is throttled for probing, if it is. */
  throttledSince: Date | null;
}

/** The charges taken, and whether this call opened the member's hourly window (audited once per window). */
export interface ChargedEvaluations {
  charges: EvaluationCharge[];
  opensWindow: boolean;
  /** The overall budget after this call. */
  budget: Budget;
}

/**
 * The hourly budgets of OPRF evaluations: the member's overall budget
 * (OPRF_EVALUATIONS_PER_HOUR; PROBING_THROTTLED_QUOTA_PER_HOUR while it is
 * throttled for probing) and, for the types cheap to enumerate, a budget per
 * type (OPRF_EVALUATIONS_PER_HOUR_IP_RANGE). A member whose own submission
 * quota an admin set is held to the overall budget alone, as its submissions
 * are: the admin chose its volume.
 */
@Injectable()
export class EvaluationBudgets {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rateLimits: RateLimitService,
  ) {}

  /** Charges every budget the call falls under, or refuses (taking nothing) naming the first that is spent. */
  async charge(memberId: string, type: IndicatorType, count: number, member: EvaluatingMember): Promise<ChargedEvaluations> {
    const charges: EvaluationCharge[] = [];
    try {
      const overall = member.throttledSince
        ? await this.take(
            `oprfthr:${memberId}`,
            count,
            this.config.probing.throttledQuotaPerHour,
            (budget, limit) =>
              new RateLimitError(
                RateLimitErrorCode.ProbingThrottled,
                `Throttled for probing since ${member.throttledSince!.toISOString()}: this call has ${count} elements and ${budget.remaining} of ${limit} evaluations remain this hour (until ${budget.resetAt.toISOString()}); an admin can lift the throttle`,
                { ...refusal(budget, limit), throttledSince: member.throttledSince!.toISOString() },
              ),
          )
        : await this.take(
            `oprf:${memberId}`,
            count,
            this.config.oprf.evaluationsPerHour,
            (budget, limit) =>
              new RateLimitError(
                RateLimitErrorCode.EvaluationQuota,
                `OPRF evaluation budget: this call has ${count} elements and ${budget.remaining} of ${limit} remain this hour (until ${budget.resetAt.toISOString()})`,
                refusal(budget, limit),
              ),
          );
      charges.push(overall.charge);
      const typeLimit = member.quota === null ? this.config.oprf.evaluationsPerHourByType[type] : undefined;
      if (typeLimit !== undefined) {
        const perType = await this.take(
          `oprf:${memberId}:${type}`,
          count,
          typeLimit,
          (budget, limit) =>
            new RateLimitError(
              RateLimitErrorCode.EvaluationQuota,
              `OPRF evaluation budget for ${type}: this call has ${count} elements and ${budget.remaining} of ${limit} remain this hour (until ${budget.resetAt.toISOString()})`,
              { indicatorType: type, ...refusal(budget, limit) },
            ),
        );
        charges.push(perType.charge);
      }
      return { charges, opensWindow: overall.budget.remaining === overall.budget.limit - count, budget: overall.budget };
    } catch (error) {
      await this.refund(charges);
      throw error;
    }
  }

  /** Gives back what `charge` took. */
  async refund(charges: readonly EvaluationCharge[]): Promise<void> {
    for (const { key, points } of charges) await this.rateLimits.refund(key, points);
  }

  private async take(
    key: string,
    points: number,
    limit: number,
    refused: (budget: Budget, limit: number) => RateLimitError,
  ): Promise<{ charge: EvaluationCharge; budget: Budget }> {
    const budget = await this.rateLimits.charge(key, points, limit, HOUR_MS);
    if (!budget.allowed) throw refused(budget, limit);
    return { charge: { key, points }, budget };
  }
}

function refusal(budget: Budget, limit: number): Record<string, unknown> {
  const retryAfterSeconds = Math.max(Math.ceil((budget.resetAt.getTime() - Date.now()) / 1_000), 0);
  return { limit, remaining: budget.remaining, resetAt: budget.resetAt.toISOString(), retryAfterSeconds };
}
