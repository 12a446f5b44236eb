import { Field, ObjectType } from '@nestjs/graphql';
import { IndicatorType } from '@app/database';
import { Connection } from '@app/common';

@ObjectType({ description: 'A token that never alerts (a known-benign value), kept by admins.' })
export class SuppressedToken {
  @Field(() => IndicatorType, { description: 'Type of the token.' })
  type: IndicatorType;

  @Field({ description: 'Key epoch of the token.' })
  keyEpoch: string;

  @Field({ description: 'The token (64 hex).' })
  token: string;

  @Field({ description: 'Why it is suppressed.' })
  reason: string;

  @Field({ description: 'When it was added.' })
  createdAt: Date;
}

@ObjectType({ description: 'A page of suppressed tokens, newest first.' })
export class SuppressedTokenConnection extends Connection(SuppressedToken) {}
