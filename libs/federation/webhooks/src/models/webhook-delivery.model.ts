import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Connection } from '@app/common';
import { DeliveryStatus } from '@app/database';
import '../graphql-enums.js';

@ObjectType({ description: 'One HTTP attempt of a delivery.' })
export class WebhookDeliveryAttempt {
  @Field({ description: 'When the attempt started.' })
  attemptedAt: Date;

  @Field(() => Int, { nullable: true, description: 'The HTTP status the endpoint answered, if it answered.' })
  statusCode: number | null;

  @Field(() => Int, { nullable: true, description: 'Milliseconds from the start of the attempt to the end of the answer (or the error).' })
  latencyMs: number | null;

  @Field(() => String, { nullable: true, description: 'The first 2 KiB of the answer body.' })
  responseBody: string | null;

  @Field(() => String, { nullable: true, description: 'Why there was no answer: refused address, DNS, connection, TLS or timeout.' })
  error: string | null;
}

@ObjectType({ description: 'One event bound for one of your endpoints, with its attempts.' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'Delivery id (for redeliverWebhook).' })
  id: string;

  @Field(() => ID, { description: 'The endpoint.' })
  endpointId: string;

  @Field({ description: 'The `webhook-id` header: the same on every attempt of this event; de-duplicate on it.' })
  eventId: string;

  @Field({ description: 'The event type, as in the body.' })
  eventType: string;

  @Field({ description: 'The exact body sent and signed.' })
  body: string;

  @Field(() => DeliveryStatus, { description: 'PENDING, SUCCEEDED or FAILED.' })
  status: DeliveryStatus;

  @Field(() => Int, { description: 'Attempts made in the current round (a redelivery starts a new round).' })
  attemptCount: number;

  @Field(() => Date, { nullable: true, description: 'When the next attempt is due, while PENDING.' })
  nextAttemptAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the last attempt started.' })
  lastAttemptAt: Date | null;

  @Field({ description: 'When the event was bound for the endpoint.' })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When it succeeded or finally failed.' })
  completedAt: Date | null;

  @Field(() => [WebhookDeliveryAttempt], { description: 'The latest attempts, newest first (at most 20).' })
  attempts: WebhookDeliveryAttempt[];
}

@ObjectType({ description: 'A page of deliveries, newest first.' })
export class WebhookDeliveryConnection extends Connection(WebhookDelivery) {}
