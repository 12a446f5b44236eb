import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { RequestId } from '@app/common';
import { WebhookDeliveriesArgs } from './dto/webhook-deliveries.args.js';
import { CreateWebhookEndpointInput, UpdateWebhookEndpointInput } from './dto/webhook-endpoint.input.js';
import { WebhookDelivery, WebhookDeliveryConnection } from './models/webhook-delivery.model.js';
import { WebhookEndpoint, WebhookEndpointWithSecret, WebhookSigningKey } from './models/webhook-endpoint.model.js';
import { WebhookDeliveriesService } from './webhook-deliveries.service.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';

/** A member's webhook endpoints and deliveries. */
@Resolver(() => WebhookEndpoint)
export class WebhooksResolver {
  constructor(
    private readonly endpoints: WebhookEndpointsService,
    private readonly deliveries: WebhookDeliveriesService,
  ) {}

  @Query(() => [WebhookEndpoint], { description: 'Your webhook endpoints, oldest first.' })
  webhookEndpoints(@CurrentMember() me: AuthenticatedMember): Promise<WebhookEndpoint[]> {
    return this.endpoints.list(me.id);
  }

  @Query(() => WebhookDeliveryConnection, { description: 'Deliveries to one of your endpoints, newest first.' })
  webhookDeliveries(@CurrentMember() me: AuthenticatedMember, @Args() args: WebhookDeliveriesArgs): Promise<WebhookDeliveryConnection> {
    return this.deliveries.list(me.id, args);
  }

  @Query(() => [WebhookSigningKey], { description: 'Public keys that verify `v1a` (Ed25519) webhook signatures.' })
  webhookSigningKeys(): Promise<WebhookSigningKey[]> {
    return this.endpoints.signingKeys();
  }

  @Mutation(() => WebhookEndpointWithSecret, { description: 'Register an endpoint; the answer holds its signing secret, shown once.' })
  createWebhookEndpoint(
    @CurrentMember() me: AuthenticatedMember,
    @Args('input') input: CreateWebhookEndpointInput,
    @RequestId() requestId?: string,
  ): Promise<WebhookEndpointWithSecret> {
    return this.endpoints.create(me, input, requestId);
  }

  @Mutation(() => WebhookEndpoint, { description: 'Change an endpoint: URL, label, event types, signing, enabled.' })
  updateWebhookEndpoint(
    @CurrentMember() me: AuthenticatedMember,
    @Args('id', { type: () => ID }) id: string,
    @Args('input') input: UpdateWebhookEndpointInput,
    @RequestId() requestId?: string,
  ): Promise<WebhookEndpoint> {
    return this.endpoints.update(me, id, input, requestId);
  }

  @Mutation(() => WebhookEndpointWithSecret, {
    description: 'New signing secret (shown once); the previous one keeps signing beside it for a grace period.',
  })
  rotateWebhookSecret(
    @CurrentMember() me: AuthenticatedMember,
    @Args('id', { type: () => ID }) id: string,
    @RequestId() requestId?: string,
  ): Promise<WebhookEndpointWithSecret> {
    return this.endpoints.rotateSecret(me, id, requestId);
  }

  @Mutation(() => Boolean, { description: 'Delete an endpoint and its delivery history.' })
  deleteWebhookEndpoint(
    @CurrentMember() me: AuthenticatedMember,
    @Args('id', { type: () => ID }) id: string,
    @RequestId() requestId?: string,
  ): Promise<boolean> {
    return this.endpoints.delete(me, id, requestId);
  }

  @Mutation(() => WebhookDelivery, {
    description: 'Attempt a finished delivery again: same body, same webhook-id, a new round of attempts.',
  })
  redeliverWebhook(
    @CurrentMember() me: AuthenticatedMember,
    @Args('deliveryId', { type: () => ID }) deliveryId: string,
  ): Promise<WebhookDelivery> {
    return this.deliveries.redeliver(me, deliveryId);
  }

  @Mutation(() => WebhookDelivery, { description: 'Send a webhook.test event to one of your endpoints.' })
  sendTestWebhook(
    @CurrentMember() me: AuthenticatedMember,
    @Args('endpointId', { type: () => ID }) endpointId: string,
  ): Promise<WebhookDelivery> {
    return this.deliveries.sendTest(me, endpointId);
  }
}
