import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Alert } from '@app/alerts';

@ObjectType('AlertEvent', { description: 'A change to one of your alerts, pushed as it happens.' })
export class AlertEventView {
  @Field(() => ID, {
    description:
      "The event's id: increasing among your events, in the order they happened. Pass the last one you received as `alertEvents(after:)` to resume.",
  })
  id: string;

  @Field({ description: 'alert.created, alert.updated or alert.closed (the same names webhooks use).' })
  type: string;

  @Field(() => Int, { description: "The alert's `version` this change made (the alert itself may be at a later one)." })
  version: number;

  @Field(() => Alert, { description: 'The alert as you see it when the event is sent (a replayed event shows it as it is now).' })
  alert: Alert;

  @Field({ description: 'When correlation made the change, to the hour (UTC).' })
  occurredAt: Date;
}
