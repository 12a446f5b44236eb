import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'A signed checkpoint of the audit chain head; `audit-verify` checks the newest one against the log.' })
export class AuditCheckpoint {
  @Field(() => ID, { description: 'Position among the checkpoints (increasing).' })
  id: string;

  @Field(() => ID, { description: 'The newest audit entry the checkpoint covers (the chain head when it was signed).' })
  headId: string;

  @Field({ description: 'That entry’s hash, hex: the whole chain up to it is fixed by this value.' })
  headHash: string;

  @Field(() => Int, { description: 'Audit entries in the chain up to and including the head.' })
  entryCount: number;

  @Field({ description: 'When it was signed and stored.' })
  signedAt: Date;

  @Field({ description: 'Key id (`kid`) of the server signing key that signed it, as published in the JWKS.' })
  kid: string;

  @Field({ description: 'The compact JWS itself, payload `{ typ: "sigfed-audit-checkpoint", headId, headHash, count, iat }`.' })
  jws: string;
}
