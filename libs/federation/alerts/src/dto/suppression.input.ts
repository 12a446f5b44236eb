import { Field, InputType } from '@nestjs/graphql';
import { IsEnum, IsString, Matches, MinLength } from 'class-validator';
import { MaxChars, PlainText } from '@app/common';
import { IndicatorType } from '@app/database';
import { KEY_EPOCH_PATTERN, TOKEN_PATTERN } from '@app/sdk';
import { IndicatorTokenScalar } from '@app/indicators';

@InputType({ description: 'A suppressed token to let alert again.' })
export class UnsuppressTokenInput {
  @Field(() => IndicatorType, { description: 'Type of the token.' })
  @IsEnum(IndicatorType)
  type: IndicatorType;

  @Field({ description: 'Key epoch of the token.' })
  @Matches(KEY_EPOCH_PATTERN, { message: 'keyEpoch must match ^[a-z0-9][a-z0-9._-]{0,31}$' })
  keyEpoch: string;

  @Field(() => IndicatorTokenScalar, { description: 'The token (64 lowercase hex).' })
  // The scalar checks the form already; without a rule of its own the global pipe's whitelist refuses the property.
  @Matches(TOKEN_PATTERN, { message: 'token must be 64 lowercase hex characters' })
  token: string;
}

@InputType({ description: 'A token to keep from alerting.' })
export class SuppressTokenInput extends UnsuppressTokenInput {
  @Field({ description: 'Why (e.g. "shared cloud NAT block"), 1-1000 characters; kept in the audit log.' })
  @IsString()
  @MinLength(1)
  @MaxChars(1000)
  @PlainText()
  reason: string;
}
