import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsUUID, Matches } from 'class-validator';
import { MaxChars, PlainText } from '@app/common';

/** The member to suspend and why. Top-level arguments, as the API names them. */
@ArgsType()
export class SuspendMemberInput {
  @Field(() => ID, { description: 'The member id.' })
  @IsUUID()
  id: string;

  @Field({ description: 'Why (1-1000 characters); recorded on the member and in the audit log.' })
  @Matches(/^\S/, { message: 'reason must not be empty or start with a space' })
  @MaxChars(1000)
  @PlainText()
  reason: string;
}
