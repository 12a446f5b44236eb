import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

/** Why a live subscription was refused. */
export enum AlertStreamErrorCode {
  /** Subscriptions run over the graphql-ws WebSocket protocol only. */
  WebSocketRequired = 'WEBSOCKET_REQUIRED',
  /** `after` is not an alert event id (a decimal number). */
  InvalidResumePoint = 'INVALID_RESUME_POINT',
  /** `after` names an event past ALERT_EVENT_RETENTION_HOURS, or none of the member's: re-sync with the `alerts` query, then subscribe without it. */
  ResumePointExpired = 'RESUME_POINT_EXPIRED',
}

/** Errors of live alert subscriptions. */
export class AlertStreamError extends DomainError<AlertStreamErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case AlertStreamErrorCode.WebSocketRequired:
      case AlertStreamErrorCode.InvalidResumePoint:
      case AlertStreamErrorCode.ResumePointExpired:
        return 'BAD_USER_INPUT';
      default:
        return assertUnreachable(this.code);
    }
  }
}
