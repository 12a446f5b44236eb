import { Args, Query, Resolver } from '@nestjs/graphql';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { Roles } from '@app/common';
import { ActivityService } from './activity.service.js';
import { MemberActivityArgs } from './dto/member-activity.args.js';
import { MemberActivity } from './models/member-activity.model.js';

/** Submission volumes and alert rates per member, with probing flagged (admins only). */
@Resolver(() => MemberActivity)
export class ActivityResolver {
  constructor(private readonly activity: ActivityService) {}

  @Roles('ADMIN')
  @Query(() => [MemberActivity], {
    description: 'Per-member submission volumes and alert rates over the last windowHours; `probing` flags lookup-oracle patterns (admins only).',
  })
  memberActivity(@CurrentMember() me: AuthenticatedMember, @Args() args: MemberActivityArgs): Promise<MemberActivity[]> {
    return this.activity.memberActivity(me.id, args.windowHours);
  }
}
