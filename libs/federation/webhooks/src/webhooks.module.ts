import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { OutboxModule } from '@app/outbox';
import { SecretsModule } from '@app/secrets';
import { addressPolicyProvider } from './address-policy.provider.js';
import { WebhookDeliveriesService } from './webhook-deliveries.service.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';
import { WebhookKeysService } from './webhook-keys.service.js';
import { WebhooksResolver } from './webhooks.resolver.js';

/** Members' webhook endpoints and deliveries over GraphQL (API role). */
@Module({
  imports: [OutboxModule, AuditModule, SecretsModule],
  providers: [addressPolicyProvider, WebhookKeysService, WebhookEndpointsService, WebhookDeliveriesService, WebhooksResolver],
  exports: [WebhookEndpointsService, WebhookDeliveriesService],
})
export class WebhooksModule {}
