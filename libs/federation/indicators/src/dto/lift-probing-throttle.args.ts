import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsUUID, Matches } from 'class-validator';
import { MaxChars } from '@app/common';

/** The member whose probing throttle to lift, and why. */
@ArgsType()
export class LiftProbingThrottleArgs {
  @Field(() => ID, { description: 'The member id.' })
  @IsUUID()
  memberId: string;

  @Field({ description: 'Why (1-1000 characters); recorded in the audit log.' })
  @Matches(/^\S/, { message: 'reason must not be empty or start with a space' })
  @MaxChars(1000)
  reason: string;
}
