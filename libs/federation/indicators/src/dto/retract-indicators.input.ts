import { Field, InputType } from '@nestjs/graphql';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsEnum, Matches } from 'class-validator';
import { IndicatorType } from '@app/database';
import { KEY_EPOCH_PATTERN } from '@app/sdk';
import { IndicatorTokenScalar } from '../indicator-token.scalar.js';
import '../graphql-enums.js';

@InputType({ description: 'Tokens of one type and epoch that the member no longer holds.' })
export class RetractIndicatorsInput {
  @Field(() => IndicatorType, { description: 'Type of the tokens.' })
  @IsEnum(IndicatorType)
  type: IndicatorType;

  @Field({ description: 'Key epoch of the tokens.' })
  @Matches(KEY_EPOCH_PATTERN, { message: 'keyEpoch must match ^[a-z0-9][a-z0-9._-]{0,31}$' })
  keyEpoch: string;

  @Field(() => [IndicatorTokenScalar], { description: 'The tokens, 1 to 10,000.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  tokens: string[];
}
