import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

/** Why an indicator operation was refused. */
export enum IndicatorErrorCode {
  /** The idempotency key was used before by this member for a different payload. */
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
  /** liftProbingThrottle: no member has this id. */
  MemberNotFound = 'MEMBER_NOT_FOUND',
  /** liftProbingThrottle: the member is not throttled for probing. */
  NotProbingThrottled = 'NOT_PROBING_THROTTLED',
}

/** Errors of the indicators module; nothing was stored or changed when one is thrown. */
export class IndicatorError extends DomainError<IndicatorErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case IndicatorErrorCode.IdempotencyKeyReused:
      case IndicatorErrorCode.NotProbingThrottled:
        return 'CONFLICT';
      case IndicatorErrorCode.MemberNotFound:
        return 'NOT_FOUND';
      default:
        return assertUnreachable(this.code);
    }
  }
}
