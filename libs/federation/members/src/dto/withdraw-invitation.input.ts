import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsUUID } from 'class-validator';

/** The invitation to withdraw. A top-level argument, as the API names it. */
@ArgsType()
export class WithdrawInvitationInput {
  @Field(() => ID, { description: 'The invitation id (`createInvitation` returns it as `invitation.id`).' })
  @IsUUID()
  invitationId: string;
}
