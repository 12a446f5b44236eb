import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

/** Which budget ran out. */
export enum RateLimitErrorCode {
  /** The member's query-cost budget for the current window. */
  RequestBudget = 'REQUEST_BUDGET_EXCEEDED',
  /** The member's budget of submitted indicators for the current hour. */
  SubmissionQuota = 'SUBMISSION_QUOTA_EXCEEDED',
}

/** A refusal because a budget is spent; nothing was done. `details` say the limit and when it resets. */
export class RateLimitError extends DomainError<RateLimitErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case RateLimitErrorCode.RequestBudget:
      case RateLimitErrorCode.SubmissionQuota:
        return 'RATE_LIMITED';
      default:
        return assertUnreachable(this.code);
    }
  }
}
