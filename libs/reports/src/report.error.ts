import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

export enum ReportErrorCode {
  /** `from` must be before `to`, and the period at most 366 days long. */
  ReportPeriodInvalid = 'REPORT_PERIOD_INVALID',
}

/** Report rule violations. */
export class ReportError extends DomainError<ReportErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case ReportErrorCode.ReportPeriodInvalid:
        return 'BAD_USER_INPUT';
      default:
        return assertUnreachable(this.code);
    }
  }
}
