import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { AlertsService } from './alerts.service.js';
import { AcknowledgeAlertArgs, AlertsArgs } from './dto/alerts.args.js';
import { Alert, AlertConnection } from './models/alert.model.js';

/** A member's own alerts. */
@Resolver(() => Alert)
export class AlertsResolver {
  constructor(private readonly service: AlertsService) {}

  @Query(() => AlertConnection, { description: 'Your alerts, newest first.' })
  alerts(@CurrentMember() me: AuthenticatedMember, @Args() args: AlertsArgs): Promise<AlertConnection> {
    return this.service.list(me.id, args);
  }

  @Query(() => Alert, { description: 'One of your alerts; NOT_FOUND for any other id.' })
  alert(@CurrentMember() me: AuthenticatedMember, @Args('id', { type: () => ID }) id: string): Promise<Alert> {
    return this.service.get(me.id, id);
  }

  @Mutation(() => Alert, { description: 'Record your verdict (and a private note) on one of your alerts.' })
  acknowledgeAlert(@CurrentMember() me: AuthenticatedMember, @Args() args: AcknowledgeAlertArgs): Promise<Alert> {
    return this.service.acknowledge(me.id, args);
  }
}
