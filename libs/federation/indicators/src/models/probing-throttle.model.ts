import { Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: "A member's probing throttle: whether it is on, and its last lift (admins only)." })
export class ProbingThrottle {
  @Field(() => ID, { description: 'The member id.' })
  memberId: string;

  @Field({ description: 'Whether the member is throttled for probing (PROBING_THROTTLED_QUOTA_PER_HOUR applies).' })
  throttled: boolean;

  @Field(() => Date, { nullable: true, description: 'Since when it is throttled; null when it is not.' })
  since: Date | null;

  @Field(() => String, { nullable: true, description: 'What the server saw when it throttled the member; null when it is not throttled.' })
  reason: string | null;

  @Field(() => Date, { nullable: true, description: 'When an admin last lifted its throttle.' })
  liftedAt: Date | null;

  @Field(() => ID, { nullable: true, description: 'The admin who last lifted it.' })
  liftedBy: string | null;
}
