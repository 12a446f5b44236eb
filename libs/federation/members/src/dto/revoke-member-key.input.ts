import { ArgsType, Field } from '@nestjs/graphql';
import { Matches } from 'class-validator';

/** The key to revoke. Top-level arguments, as the API names them. */
@ArgsType()
export class RevokeMemberKeyInput {
  @Field({ description: 'kid of the key (its RFC 7638 thumbprint).' })
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'kid must be 1-64 characters of A-Z a-z 0-9 _ -' })
  kid: string;
}
