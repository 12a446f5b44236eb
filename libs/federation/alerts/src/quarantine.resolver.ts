import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { memberActor } from '@app/audit';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { ConnectionArgs, RequestId, Roles } from '@app/common';
import { ReleaseQuarantineInput } from './dto/quarantine.input.js';
import { QuarantinedToken, QuarantinedTokenConnection } from './models/quarantined-token.model.js';
import { QuarantineService } from './quarantine.service.js';

/** The quarantine queue (admins only). */
@Resolver(() => QuarantinedToken)
export class QuarantineResolver {
  constructor(private readonly quarantine: QuarantineService) {}

  @Roles('ADMIN')
  @Query(() => QuarantinedTokenConnection, {
    description: "Tokens members' false-positive verdicts quarantined, newest first (admins only).",
  })
  quarantinedTokens(@Args() args: ConnectionArgs): Promise<QuarantinedTokenConnection> {
    return this.quarantine.list(args);
  }

  @Roles('ADMIN')
  @Mutation(() => Boolean, {
    description: 'Let a quarantined token match again, or with suppress: true move it to the suppression list (admins only).',
  })
  releaseQuarantine(
    @CurrentMember() me: AuthenticatedMember,
    @Args('input') input: ReleaseQuarantineInput,
    @RequestId() requestId?: string,
  ): Promise<boolean> {
    return this.quarantine.release(memberActor(me), input, requestId);
  }
}
