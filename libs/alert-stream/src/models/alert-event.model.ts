import { Field, ObjectType } from '@nestjs/graphql';
import { Alert } from '@app/alerts';

@ObjectType('AlertEvent', { description: 'A change to one of your alerts, pushed as it happens.' })
export class AlertEventView {
  @Field({ description: 'alert.created, alert.updated or alert.closed (the same names webhooks use).' })
  type: string;

  @Field(() => Alert, { description: 'The alert as you see it now; order events by its `version`.' })
  alert: Alert;

  @Field({ description: 'When correlation made the change, to the hour (UTC).' })
  occurredAt: Date;
}
