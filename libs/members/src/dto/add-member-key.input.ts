import { Field, InputType } from '@nestjs/graphql';
import { JSONObject, type JsonObject } from '@app/common';
import { IsPublicJwk } from '../keys/is-public-jwk.decorator.js';

@InputType({ description: 'Another public key for the calling member (for rotation).' })
export class AddMemberKeyInput {
  @Field(() => JSONObject, { description: 'The public key (JWK): Ed25519 (EdDSA) or P-256 (ES256), public part only.' })
  @IsPublicJwk()
  publicJwk: JsonObject;
}
