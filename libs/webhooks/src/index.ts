import './graphql-enums.js';

export { AddressPolicy, DestinationRefused, systemResolver, type Resolver } from './delivery/address-policy.js';
export { postWebhook, type PostOutcome } from './delivery/http-post.js';
export { nextRetryDelay, parseRetryAfter } from './delivery/retry-schedule.js';
export { newWebhookSecret, signWebhook, type SignedHeaders } from './delivery/signing.js';
export { CreateWebhookEndpointInput, UpdateWebhookEndpointInput } from './dto/webhook-endpoint.input.js';
export { WebhookDelivery, WebhookDeliveryAttempt, WebhookDeliveryConnection } from './models/webhook-delivery.model.js';
export { WebhookEndpoint, WebhookEndpointWithSecret, WebhookSigningKey } from './models/webhook-endpoint.model.js';
export { WebhookDeliveryService, type DeliverJob } from './webhook-delivery.service.js';
export { WebhookDeliveriesService } from './webhook-deliveries.service.js';
export { deliveryJobId, WebhookDispatchService } from './webhook-dispatch.service.js';
export { WebhookEndpointsService } from './webhook-endpoints.service.js';
export { ALWAYS_DELIVERED, endpointWants, WEBHOOK_EVENT_TYPES, WebhookEventType } from './webhook-events.js';
export { WebhookKeysService } from './webhook-keys.service.js';
export { stableEventId } from './webhook-views.js';
export { WebhookError, WebhookErrorCode } from './webhook.error.js';
export { WebhookWorkerModule } from './webhook-worker.module.js';
export { WebhooksModule } from './webhooks.module.js';
