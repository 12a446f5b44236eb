import { Field, ID, ObjectType } from '@nestjs/graphql';
import { WebhookEndpointStatus } from '@app/database';
import '../graphql-enums.js';

@ObjectType({ description: 'An HTTPS receiver of your signed events (Standard Webhooks).' })
export class WebhookEndpoint {
  @Field(() => ID, { description: 'Endpoint id.' })
  id: string;

  @Field({ description: 'Where events are POSTed.' })
  url: string;

  @Field(() => String, { nullable: true, description: 'Your own label for it.' })
  description: string | null;

  @Field(() => [String], { description: 'Event types it receives (webhook.test and webhook.endpoint_disabled always come).' })
  eventTypes: string[];

  @Field(() => WebhookEndpointStatus, { description: 'ENABLED or DISABLED.' })
  status: WebhookEndpointStatus;

  @Field({ description: 'Whether deliveries also carry a `v1a` (Ed25519) signature by the server key in webhookSigningKeys.' })
  asymmetricSignature: boolean;

  @Field(() => Date, { nullable: true, description: 'Since when every attempt has failed; null after any success.' })
  failingSince: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was disabled, while it is.' })
  disabledAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was disabled, while it is.' })
  disabledReason: string | null;

  @Field(() => Date, {
    nullable: true,
    description: 'After a secret rotation: until when the previous secret still signs beside the new one.',
  })
  previousSecretExpiresAt: Date | null;

  @Field({ description: 'When it was registered.' })
  createdAt: Date;

  @Field({ description: 'When it last changed.' })
  updatedAt: Date;
}

@ObjectType({ description: 'An endpoint with its signing secret, which is shown this once only.' })
export class WebhookEndpointWithSecret {
  @Field(() => WebhookEndpoint, { description: 'The endpoint.' })
  endpoint: WebhookEndpoint;

  @Field({ description: 'The signing secret (`whsec_...`) for the `standardwebhooks` libraries. Store it now: it is never shown again.' })
  secret: string;
}

@ObjectType({ description: "One of the server's public keys for `v1a` (Ed25519) webhook signatures." })
export class WebhookSigningKey {
  @Field({ description: 'Key id.' })
  kid: string;

  @Field({ description: 'The public key in the Standard Webhooks form `whpk_<base64 of the 32-byte key>`.' })
  publicKey: string;

  @Field({ description: 'When the key was made.' })
  createdAt: Date;
}
