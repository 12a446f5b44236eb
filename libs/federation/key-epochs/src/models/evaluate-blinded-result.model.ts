import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'The server half of the POPRF for one batch.' })
export class EvaluateBlindedResult {
  @Field({ description: 'The epoch whose key evaluated the batch.' })
  keyEpoch: string;

  @Field(() => [String], { description: 'Unpadded base64url evaluated elements (32 bytes each), in the order of blindedElements.' })
  evaluatedElements: string[];

  @Field({
    description: 'Unpadded base64url of the batched DLEQ proof c||s (64 bytes) over every pair; verify it against the pinned public key.',
  })
  proof: string;
}
