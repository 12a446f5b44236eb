import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

/** Which budget ran out. */
export enum RateLimitErrorCode {
  /** The member's query-cost budget for the current window. */
  RequestBudget = 'REQUEST_BUDGET_EXCEEDED',
  /** The member's budget of submitted indicators for the current hour. */
  SubmissionQuota = 'SUBMISSION_QUOTA_EXCEEDED',
  /** The member's sendTestWebhook calls for the current window (WEBHOOK_TEST_PER_WINDOW). */
  TestWebhooks = 'TEST_WEBHOOK_LIMIT_EXCEEDED',
  /** The member's submission budget (points per submitted or retracted item) for the current window. */
  SubmissionBudget = 'SUBMISSION_BUDGET_EXCEEDED',
  /** The member has SUBMISSION_MEMBER_CONCURRENCY submissions in progress already. */
  ConcurrentSubmissions = 'TOO_MANY_CONCURRENT_SUBMISSIONS',
  /** The member was throttled for probing; PROBING_THROTTLED_QUOTA_PER_HOUR applies until an admin lifts it. */
  ProbingThrottled = 'PROBING_THROTTLED',
  /** The member's OPRF evaluations for the current hour (OPRF_EVALUATIONS_PER_HOUR, per type OPRF_EVALUATIONS_PER_HOUR_IP_RANGE). */
  EvaluationQuota = 'OPRF_EVALUATION_QUOTA_EXCEEDED',
  /** The member has OPRF_MEMBER_CONCURRENCY evaluateBlinded calls in progress already. */
  ConcurrentEvaluations = 'TOO_MANY_CONCURRENT_EVALUATIONS',
}

/** A refusal because a budget is spent; nothing was done. `details` say the limit and when it resets. */
export class RateLimitError extends DomainError<RateLimitErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case RateLimitErrorCode.RequestBudget:
      case RateLimitErrorCode.SubmissionQuota:
      case RateLimitErrorCode.TestWebhooks:
      case RateLimitErrorCode.ConcurrentSubmissions:
      case RateLimitErrorCode.ProbingThrottled:
      case RateLimitErrorCode.SubmissionBudget:
      case RateLimitErrorCode.EvaluationQuota:
      case RateLimitErrorCode.ConcurrentEvaluations:
        return 'RATE_LIMITED';
      default:
        return assertUnreachable(this.code);
    }
  }
}
