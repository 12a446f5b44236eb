import { Field, InputType } from '@nestjs/graphql';
import { IsArray, IsEnum, IsString, Matches } from 'class-validator';
import { IndicatorType } from '@app/database';
import { KEY_EPOCH_PATTERN } from '@app/sdk';

@InputType({ description: 'Blinded elements to evaluate under one two-key epoch and one indicator type.' })
export class EvaluateBlindedInput {
  @Field({ description: 'Label of a TWO_KEY epoch that is not RETIRED (oprfKeys).' })
  @Matches(KEY_EPOCH_PATTERN, { message: 'keyEpoch must match ^[a-z0-9][a-z0-9._-]{0,31}$' })
  keyEpoch: string;

  @Field(() => IndicatorType, { description: 'The type of every value in the batch; part of the POPRF info, so tokens are bound to it.' })
  @IsEnum(IndicatorType)
  type: IndicatorType;

  @Field(() => [String], {
    description:
      'Unpadded base64url of each blinded element (RFC 9497 SerializeElement, 32 bytes); 1 to OPRF_MAX_ELEMENTS_PER_CALL (default 256).',
  })
  @IsArray()
  @IsString({ each: true })
  blindedElements: string[];
}
