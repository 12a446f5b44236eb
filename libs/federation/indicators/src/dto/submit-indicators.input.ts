import { Field, InputType, Int } from '@nestjs/graphql';
import { IsArray, Matches } from 'class-validator';
import { BulkList } from '@app/common';
import { IndicatorType } from '@app/database';
import { IndicatorTokenScalar } from '../indicator-token.scalar.js';
import '../graphql-enums.js';

/**
 * One hashed indicator. Its fields are checked in one pass by
 * validateIndicatorItems (not class-validator: 10,000 items per call).
 */
@InputType({ description: 'One hashed indicator to store.' })
export class IndicatorInput {
  @Field(() => IndicatorType, { description: 'What kind of value was hashed.' })
  type: IndicatorType;

  @Field(() => IndicatorTokenScalar, { description: 'HMAC-SHA256 of the canonical value under the federation key.' })
  token: string;

  @Field({ description: 'Label of the federation key epoch the token was derived under, e.g. `2026-q4`.' })
  keyEpoch: string;

  @Field({ nullable: true, description: 'When the member saw it; defaults to now; at most 5 minutes in the future.' })
  observedAt?: Date;

  @Field({ nullable: true, description: "When it stops counting; defaults to the type's lifetime (docs/operations.md)." })
  expiresAt?: Date;

  @Field(() => Int, { nullable: true, description: 'Confidence 0-100 that the value is abusive; default 50.' })
  confidence?: number;

  @Field({
    nullable: true,
    description: "The member's own reference (e.g. a case id), at most 256 characters. Only this member ever sees it.",
  })
  externalRef?: string;

  @Field({ nullable: true, description: "Let other holders of a match see this member's name; default false." })
  discloseIdentity?: boolean;
}

@InputType({ description: 'A batch of hashed indicators.' })
export class SubmitIndicatorsInput {
  @Field({
    description:
      'Client-chosen key (8-128 of A-Z a-z 0-9 . _ : -); a retry with the same key returns the first result and stores nothing twice.',
  })
  @Matches(/^[A-Za-z0-9._:-]{8,128}$/, { message: 'idempotencyKey must be 8-128 characters of A-Z a-z 0-9 . _ : -' })
  idempotencyKey: string;

  @Field(() => [IndicatorInput], { description: 'The indicators; at most MAX_INDICATORS_PER_SUBMISSION (default 10,000).' })
  @IsArray()
  // GraphQL has checked each item's fields, types and token; validateIndicatorItems checks the rest in one pass.
  @BulkList()
  indicators: IndicatorInput[];
}
