import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

/** Why an alert operation was refused. */
export enum AlertErrorCode {
  /** No alert with this id belongs to the caller (whether or not it exists for someone else). */
  NotFound = 'ALERT_NOT_FOUND',
  /** The token is not on the suppression list. */
  NotSuppressed = 'NOT_SUPPRESSED',
  /** The token is not quarantined (never was, or was released already). */
  NotQuarantined = 'NOT_QUARANTINED',
}

/** Errors of the alerts module. */
export class AlertError extends DomainError<AlertErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case AlertErrorCode.NotFound:
      case AlertErrorCode.NotSuppressed:
      case AlertErrorCode.NotQuarantined:
        return 'NOT_FOUND';
      default:
        return assertUnreachable(this.code);
    }
  }
}
