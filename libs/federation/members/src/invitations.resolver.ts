import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { Public, RequestId, Roles } from '@app/common';
import { AcceptInvitationInput } from './dto/accept-invitation.input.js';
import { CreateInvitationInput } from './dto/create-invitation.input.js';
import { WithdrawInvitationInput } from './dto/withdraw-invitation.input.js';
import { InvitationsService } from './invitations.service.js';
import { CreateInvitationPayload, Invitation } from './models/invitation.model.js';
import { Member } from './models/member.model.js';

@Resolver(() => Invitation)
export class InvitationsResolver {
  constructor(private readonly invitations: InvitationsService) {}

  @Roles('ADMIN')
  @Mutation(() => CreateInvitationPayload, {
    description: 'Invites an organization; returns the one-time invitation token, shown only this once (admins only).',
  })
  createInvitation(
    @CurrentMember() member: AuthenticatedMember,
    @Args('input') input: CreateInvitationInput,
    @RequestId() requestId?: string,
  ): Promise<CreateInvitationPayload> {
    return this.invitations.create(member, input, requestId);
  }

  @Roles('ADMIN')
  @Mutation(() => Invitation, {
    description: 'Withdraws an invitation that was not accepted yet; its token is refused from then on (admins only).',
  })
  withdrawInvitation(
    @CurrentMember() member: AuthenticatedMember,
    @Args() { invitationId }: WithdrawInvitationInput,
    @RequestId() requestId?: string,
  ): Promise<Invitation> {
    return this.invitations.withdraw(member, invitationId, requestId);
  }

  @Public()
  @Mutation(() => Member, {
    description:
      'Redeems an invitation token with the organization’s first public key; needs no access token. Returns the now active member and its client id.',
  })
  acceptInvitation(@Args('input') input: AcceptInvitationInput, @RequestId() requestId?: string): Promise<Member> {
    return this.invitations.accept(input, requestId);
  }
}
