import { Args, Context, ID, Resolver, Subscription } from '@nestjs/graphql';
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
      "Closed with 4401 when the token expires (reconnect with a fresh token and `after`: the SDK's `alertEvents` helper does), " +
      '4403 when the member is suspended or the key revoked. With `after`, first replays every event of yours after that one.',
    resolve: (event: AlertEventView) => event,
  })
  alertEvents(
    @CurrentMember() me: AuthenticatedMember,
    @Context() context: StreamContext,
    @Args('after', {
      type: () => ID,
      nullable: true,
      description:
        'The `id` of the last event you received: the events after it are sent first, then live ones. ' +
        'Refused with RESUME_POINT_EXPIRED once that event is past ALERT_EVENT_RETENTION_HOURS: re-sync with `alerts`, then subscribe without it.',
    })
    after?: string | null,
  ): Promise<AsyncIterableIterator<AlertEventView>> {
    return this.stream.open(me, context, after);
  }
}
