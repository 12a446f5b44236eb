import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { memberActor } from '@app/audit';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { ConnectionArgs, RequestId, Roles } from '@app/common';
import { SuppressTokenInput, UnsuppressTokenInput } from './dto/suppression.input.js';
import { SuppressedToken, SuppressedTokenConnection } from './models/suppressed-token.model.js';
import { SuppressionService } from './suppression.service.js';

/** The suppression list (admins only). */
@Resolver(() => SuppressedToken)
export class SuppressionResolver {
  constructor(private readonly suppression: SuppressionService) {}

  @Roles('ADMIN')
  @Query(() => SuppressedTokenConnection, { description: 'Tokens that never alert, newest first (admins only).' })
  suppressedTokens(@Args() args: ConnectionArgs): Promise<SuppressedTokenConnection> {
    return this.suppression.list(args);
  }

  @Roles('ADMIN')
  @Mutation(() => SuppressedToken, { description: 'Stop a known-benign token from alerting; open alerts on it close (admins only).' })
  suppressToken(
    @CurrentMember() me: AuthenticatedMember,
    @Args('input') input: SuppressTokenInput,
    @RequestId() requestId?: string,
  ): Promise<SuppressedToken> {
    return this.suppression.suppress(memberActor(me), input, requestId);
  }

  @Roles('ADMIN')
  @Mutation(() => Boolean, { description: 'Let a suppressed token alert again (admins only).' })
  unsuppressToken(
    @CurrentMember() me: AuthenticatedMember,
    @Args('input') input: UnsuppressTokenInput,
    @RequestId() requestId?: string,
  ): Promise<boolean> {
    return this.suppression.unsuppress(memberActor(me), input, requestId);
  }
}
