import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: "One member's submission volume and alert rate over a window (admins only)." })
export class MemberActivity {
  @Field(() => ID, { description: 'The member id.' })
  memberId: string;

  @Field({ description: 'The member name.' })
  name: string;

  @Field({ description: 'The member client id.' })
  clientId: string;

  @Field(() => Int, { description: 'submitIndicators calls in the window.' })
  submissions: number;

  @Field(() => Float, { description: 'Indicators submitted in the window.' })
  indicators: number;

  @Field(() => Float, { description: 'Of those, indicators that were new to the member (accepted).' })
  newIndicators: number;

  @Field(() => Float, { description: 'newIndicators / indicators (0 when nothing was submitted).' })
  newShare: number;

  @Field(() => Int, { description: 'Alerts created for the member in the window.' })
  alertsCreated: number;

  @Field(() => Float, { description: 'Alerts created per 1,000 indicators submitted.' })
  alertsPerThousand: number;

  @Field({
    description:
      'Looks like probing the federation as a lookup oracle: at least PROBING_MIN_INDICATORS indicators, at least PROBING_MIN_NEW_SHARE of them new, within the window.',
  })
  probing: boolean;

  @Field({
    description:
      'Throttled for probing: the submit path saw the probing pattern within PROBING_WINDOW_HOURS and PROBING_THROTTLED_QUOTA_PER_HOUR applies until an admin calls liftProbingThrottle.',
  })
  throttled: boolean;

  @Field(() => Date, { nullable: true, description: 'Since when the member is throttled for probing; null when it is not.' })
  throttledSince: Date | null;

  @Field(() => String, { nullable: true, description: 'What the server saw when it throttled the member; null when it is not throttled.' })
  throttleReason: string | null;
}
