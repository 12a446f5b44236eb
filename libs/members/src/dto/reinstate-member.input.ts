import { Field, ID, InputType } from '@nestjs/graphql';
import { IsUUID } from 'class-validator';

@InputType({ description: 'The suspended member to reinstate.' })
export class ReinstateMemberInput {
  @Field(() => ID, { description: 'The member id.' })
  @IsUUID()
  id: string;
}
