/** Registers the GraphQL names of the database enums this library's models and inputs expose (they import this file). */
import { registerEnumType } from '@nestjs/graphql';
import { DeliveryStatus, WebhookEndpointStatus } from '@app/database';

registerEnumType(WebhookEndpointStatus, {
  name: 'WebhookEndpointStatus',
  description: 'Whether an endpoint receives deliveries.',
  valuesMap: {
    ENABLED: { description: 'Receives deliveries.' },
    DISABLED: { description: 'Receives nothing: disabled by you, by a 410 Gone answer, or after failing continuously for too long.' },
  },
});

registerEnumType(DeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'Where a delivery stands.',
  valuesMap: {
    PENDING: { description: 'Being attempted, or waiting for its next attempt.' },
    SUCCEEDED: { description: 'An attempt got a 2xx answer.' },
    FAILED: { description: 'Every scheduled attempt failed (or the endpoint answered 410 or was disabled); redeliverWebhook tries again.' },
  },
});
