import { Field, InputType } from '@nestjs/graphql';
import { Matches } from 'class-validator';
import { JSONObject, type JsonObject } from '@app/common';
import { INVITATION_TOKEN_PATTERN } from '../credentials.js';
import { IsPublicJwk } from '../keys/is-public-jwk.decorator.js';

@InputType({ description: 'The invitation token and the first public key of the new member.' })
export class AcceptInvitationInput {
  @Field({ description: 'The `sfinv_...` token the operator sent.' })
  @Matches(INVITATION_TOKEN_PATTERN, { message: 'invitationToken must be the sfinv_ token of an invitation' })
  invitationToken: string;

  @Field(() => JSONObject, {
    description: 'The public key (JWK) the member will sign client assertions with: Ed25519 (EdDSA) or P-256 (ES256), public part only.',
  })
  @IsPublicJwk()
  publicJwk: JsonObject;
}
