import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { RequestId, Roles } from '@app/common';
import { ActivityService } from './activity.service.js';
import { LiftProbingThrottleArgs } from './dto/lift-probing-throttle.args.js';
import { MemberActivityArgs } from './dto/member-activity.args.js';
import { MemberActivity } from './models/member-activity.model.js';
import { ProbingThrottle } from './models/probing-throttle.model.js';
import { ProbingThrottleService } from './probing-throttle.service.js';

/** Submission volumes and alert rates per member, with probing flagged and throttled (admins only). */
@Resolver(() => MemberActivity)
export class ActivityResolver {
  constructor(
    private readonly activity: ActivityService,
    private readonly throttles: ProbingThrottleService,
  ) {}

  @Roles('ADMIN')
  @Query(() => [MemberActivity], {
    description:
      'Per-member submission volumes and alert rates over the last windowHours; `probing` flags lookup-oracle patterns (admins only).',
  })
  memberActivity(@CurrentMember() me: AuthenticatedMember, @Args() args: MemberActivityArgs): Promise<MemberActivity[]> {
    return this.activity.memberActivity(me.id, args.windowHours);
  }

  @Roles('ADMIN')
  @Mutation(() => ProbingThrottle, {
    description: "Lifts a member's probing throttle: its normal quota applies again and probing counts start afresh (admins only).",
  })
  liftProbingThrottle(
    @CurrentMember() me: AuthenticatedMember,
    @Args() args: LiftProbingThrottleArgs,
    @RequestId() requestId?: string,
  ): Promise<ProbingThrottle> {
    return this.throttles.lift(me, args, requestId);
  }
}
