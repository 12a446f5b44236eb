import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsUUID } from 'class-validator';

/** The suspended member to reinstate. Top-level arguments, as the API names them. */
@ArgsType()
export class ReinstateMemberInput {
  @Field(() => ID, { description: 'The member id.' })
  @IsUUID()
  id: string;
}
