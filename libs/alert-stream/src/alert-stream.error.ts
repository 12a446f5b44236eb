import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

/** Why a live subscription was refused. */
export enum AlertStreamErrorCode {
  /** Subscriptions run over the graphql-ws WebSocket protocol only. */
  WebSocketRequired = 'WEBSOCKET_REQUIRED',
}

/** Errors of live alert subscriptions. */
export class AlertStreamError extends DomainError<AlertStreamErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case AlertStreamErrorCode.WebSocketRequired:
        return 'BAD_USER_INPUT';
      default:
        return assertUnreachable(this.code);
    }
  }
}
