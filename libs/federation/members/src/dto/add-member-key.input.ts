import { ArgsType, Field } from '@nestjs/graphql';
import { JSONObject, type JsonObject } from '@app/common';
import { IsPublicJwk } from '../keys/is-public-jwk.decorator.js';

/** Another public key for the calling member (for rotation). Top-level arguments, as the API names them. */
@ArgsType()
export class AddMemberKeyInput {
  @Field(() => JSONObject, { description: 'The public key (JWK): Ed25519 (EdDSA) or P-256 (ES256), public part only.' })
  @IsPublicJwk()
  publicJwk: JsonObject;
}
