import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

/** Why a webhook operation was refused. */
export enum WebhookErrorCode {
  /** No endpoint with this id belongs to the caller (whether or not it exists for someone else). */
  EndpointNotFound = 'WEBHOOK_ENDPOINT_NOT_FOUND',
  /** No delivery with this id belongs to one of the caller's endpoints. */
  DeliveryNotFound = 'WEBHOOK_DELIVERY_NOT_FOUND',
  /** The member already has the most endpoints allowed. */
  TooManyEndpoints = 'TOO_MANY_WEBHOOK_ENDPOINTS',
  /** The endpoint is disabled; enable it (updateWebhookEndpoint) first. */
  EndpointDisabled = 'WEBHOOK_ENDPOINT_DISABLED',
  /** The delivery is still being attempted; wait for it to succeed or fail. */
  DeliveryPending = 'WEBHOOK_DELIVERY_PENDING',
}

/** Errors of the webhooks module. */
export class WebhookError extends DomainError<WebhookErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case WebhookErrorCode.EndpointNotFound:
      case WebhookErrorCode.DeliveryNotFound:
        return 'NOT_FOUND';
      case WebhookErrorCode.TooManyEndpoints:
      case WebhookErrorCode.EndpointDisabled:
      case WebhookErrorCode.DeliveryPending:
        return 'CONFLICT';
      default:
        return assertUnreachable(this.code);
    }
  }
}
