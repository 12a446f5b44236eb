import { Context, Resolver, Subscription } from '@nestjs/graphql';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { AlertStreamService } from './alert-stream.service.js';
import type { StreamContext } from './graphql-ws.options.js';
import { AlertEventView } from './models/alert-event.model.js';

/** Live alert events over graphql-ws. */
@Resolver(() => AlertEventView)
export class AlertEventsResolver {
  constructor(private readonly stream: AlertStreamService) {}

  @Subscription(() => AlertEventView, {
    description:
      'Your alert changes as they happen (graphql-ws; put `authorization: "Bearer <token>"` in the connection init payload). ' +
      'Closed with 4401 when the token expires, 4403 when the member is suspended or the key revoked. Not durable: use webhooks to miss nothing.',
    resolve: (event: AlertEventView) => event,
  })
  alertEvents(@CurrentMember() me: AuthenticatedMember, @Context() context: StreamContext): Promise<AsyncIterableIterator<AlertEventView>> {
    return this.stream.open(me, context);
  }
}
