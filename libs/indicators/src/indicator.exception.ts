import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

/** Why an indicator operation was refused. */
export enum IndicatorErrorCode {
  /** The idempotency key was used before by this member for a different payload. */
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
}

/** Errors of the indicators module; nothing was stored when one is thrown. */
export class IndicatorError extends DomainError<IndicatorErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case IndicatorErrorCode.IdempotencyKeyReused:
        return 'CONFLICT';
      default:
        return assertUnreachable(this.code);
    }
  }
}
