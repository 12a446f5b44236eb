import { Field, ObjectType } from '@nestjs/graphql';
import { OprfKeyStatus } from '../key-epoch-status.js';

@ObjectType({ description: "A two-key epoch's public POPRF key. Pin it in the member's configuration from another source and compare." })
export class OprfKey {
  @Field({ description: 'The epoch label tokens carry (submitIndicators keyEpoch), e.g. `2027-q1`.' })
  keyEpoch: string;

  @Field({ description: 'The RFC 9497 ciphersuite: `ristretto255-SHA512`.' })
  suite: string;

  @Field({ description: 'The RFC 9497 mode: `POPRF`.' })
  mode: string;

  @Field({ description: 'Unpadded base64url of SerializeElement(pkS), 32 bytes.' })
  publicKey: string;

  @Field({ description: 'When the epoch becomes ACTIVE.' })
  notBefore: Date;

  @Field({ description: 'When the epoch stops being ACTIVE (it is RETIRING for KEY_EPOCH_RETIRING_DAYS after).' })
  notAfter: Date;

  @Field(() => OprfKeyStatus, { description: 'Where the epoch stands now.' })
  status: OprfKeyStatus;
}
