import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import type { IndicatorType } from '@app/database';
import { RateLimitError, RateLimitErrorCode, RateLimitService } from '@app/rate-limit';

const HOUR_MS = 3_600_000;

/** One charge taken from a budget, to give back should the batch not be stored. */
export interface QuotaCharge {
  key: string;
  points: number;
}

/** What the claim statement read of the member: its own quota, and since when it is throttled for probing. */
export interface MemberQuotaState {
  quota: number | null;
  throttledSince: Date | null;
}

/**
 * The hourly budgets a batch is charged to: the member's overall quota (its
 * own, or SUBMISSION_QUOTA_PER_HOUR; PROBING_THROTTLED_QUOTA_PER_HOUR while
 * it is throttled for probing) and, for the types cheap to enumerate, a
 * quota per type (SUBMISSION_QUOTA_PER_HOUR_IP_RANGE). A member whose own
 * quota an admin set is held to that alone: the admin chose its volume.
 */
@Injectable()
export class SubmissionQuotas {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rateLimits: RateLimitService,
  ) {}

  /** Charges every budget the batch falls under, or refuses (taking nothing) with the first that is spent. */
  async charge(memberId: string, types: readonly IndicatorType[], member: MemberQuotaState): Promise<QuotaCharge[]> {
    const charges: QuotaCharge[] = [];
    try {
      charges.push(await this.chargeOverall(memberId, types.length, member));
      if (member.quota === null) {
        for (const [type, count] of countByType(types)) {
          const limit = this.config.rateLimit.submissionQuotaPerHourByType[type];
          if (limit !== undefined) charges.push(await this.chargeType(memberId, type, count, limit));
        }
      }
      return charges;
    } catch (error) {
      await this.refund(charges);
      throw error;
    }
  }

  /** Gives back what `charge` took. */
  async refund(charges: readonly QuotaCharge[]): Promise<void> {
    for (const { key, points } of charges) await this.rateLimits.refund(key, points);
  }

  private async chargeOverall(memberId: string, count: number, member: MemberQuotaState): Promise<QuotaCharge> {
    if (member.throttledSince) {
      const limit = this.config.probing.throttledQuotaPerHour;
      const key = `subthr:${memberId}`;
      const budget = await this.rateLimits.charge(key, count, limit, HOUR_MS);
      if (!budget.allowed) {
        throw new RateLimitError(
          RateLimitErrorCode.ProbingThrottled,
          `Throttled for probing since ${member.throttledSince.toISOString()}: this batch has ${count} indicators and ${budget.remaining} of ${limit} remain this hour (until ${budget.resetAt.toISOString()}); an admin can lift the throttle`,
          {
            limit,
            remaining: budget.remaining,
            resetAt: budget.resetAt.toISOString(),
            throttledSince: member.throttledSince.toISOString(),
          },
        );
      }
      return { key, points: count };
    }
    const limit = member.quota ?? this.config.rateLimit.submissionQuotaPerHour;
    const key = `sub:${memberId}`;
    const budget = await this.rateLimits.charge(key, count, limit, HOUR_MS);
    if (!budget.allowed) {
      throw new RateLimitError(
        RateLimitErrorCode.SubmissionQuota,
        `Submission quota: this batch has ${count} indicators and ${budget.remaining} of ${limit} remain this hour (until ${budget.resetAt.toISOString()})`,
        { limit, remaining: budget.remaining, resetAt: budget.resetAt.toISOString() },
      );
    }
    return { key, points: count };
  }

  private async chargeType(memberId: string, type: IndicatorType, count: number, limit: number): Promise<QuotaCharge> {
    const key = `sub:${memberId}:${type}`;
    const budget = await this.rateLimits.charge(key, count, limit, HOUR_MS);
    if (!budget.allowed) {
      throw new RateLimitError(
        RateLimitErrorCode.SubmissionQuota,
        `Submission quota for ${type}: this batch has ${count} of them and ${budget.remaining} of ${limit} remain this hour (until ${budget.resetAt.toISOString()})`,
        { indicatorType: type, limit, remaining: budget.remaining, resetAt: budget.resetAt.toISOString() },
      );
    }
    return { key, points: count };
  }
}

function countByType(types: readonly IndicatorType[]): Map<IndicatorType, number> {
  const counts = new Map<IndicatorType, number>();
  for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}
