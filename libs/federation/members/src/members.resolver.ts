import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { RequestId, Roles } from '@app/common';
import { MembersArgs } from './dto/members.args.js';
import { ReinstateMemberInput } from './dto/reinstate-member.input.js';
import { SetSubmissionQuotaArgs } from './dto/set-submission-quota.args.js';
import { SuspendMemberInput } from './dto/suspend-member.input.js';
import { MembersService } from './members.service.js';
import { Member, MemberConnection } from './models/member.model.js';

@Resolver(() => Member)
export class MembersResolver {
  constructor(private readonly service: MembersService) {}

  @Query(() => Member, { description: 'The calling member, with its keys.' })
  me(@CurrentMember() member: AuthenticatedMember): Promise<Member> {
    return this.service.me(member);
  }

  @Roles('ADMIN')
  @Query(() => MemberConnection, { description: 'All members, oldest first (admins only).' })
  members(@Args() args: MembersArgs): Promise<MemberConnection> {
    return this.service.list(args);
  }

  @Roles('ADMIN')
  @Mutation(() => Member, { description: 'Suspends an active member; its tokens are refused at once (admins only).' })
  suspendMember(
    @CurrentMember() member: AuthenticatedMember,
    @Args() input: SuspendMemberInput,
    @RequestId() requestId?: string,
  ): Promise<Member> {
    return this.service.suspend(member, input, requestId);
  }

  @Roles('ADMIN')
  @Mutation(() => Member, { description: 'Makes a suspended member active again (admins only).' })
  reinstateMember(
    @CurrentMember() member: AuthenticatedMember,
    @Args() input: ReinstateMemberInput,
    @RequestId() requestId?: string,
  ): Promise<Member> {
    return this.service.reinstate(member, input, requestId);
  }

  @Roles('ADMIN')
  @Mutation(() => Member, {
    description: "Sets a member's submission quota in indicators per hour; null restores the default (admins only).",
  })
  setSubmissionQuota(
    @CurrentMember() member: AuthenticatedMember,
    @Args() args: SetSubmissionQuotaArgs,
    @RequestId() requestId?: string,
  ): Promise<Member> {
    return this.service.setSubmissionQuota(member, args, requestId);
  }
}
