import { Field, Int, ObjectType } from '@nestjs/graphql';
import { IndicatorType } from '@app/database';
import { Connection } from '@app/common';

@ObjectType({ description: "A token members' FALSE_POSITIVE verdicts quarantined: it matches nothing until an admin releases it." })
export class QuarantinedToken {
  @Field(() => IndicatorType, { description: 'Type of the token.' })
  type: IndicatorType;

  @Field({ description: 'Key epoch of the token.' })
  keyEpoch: string;

  @Field({ description: 'The token (64 hex).' })
  token: string;

  @Field(() => Int, { description: 'Distinct active members whose FALSE_POSITIVE verdicts counted when it was quarantined.' })
  falsePositives: number;

  @Field(() => Int, { description: 'Distinct active members that said CONFIRMED_ABUSE at that time.' })
  confirmations: number;

  @Field({ description: 'When it was quarantined.' })
  quarantinedAt: Date;
}

@ObjectType({ description: 'A page of quarantined tokens, newest first.' })
export class QuarantinedTokenConnection extends Connection(QuarantinedToken) {}
