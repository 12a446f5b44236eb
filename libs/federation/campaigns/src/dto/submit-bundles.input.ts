import { Field, InputType } from '@nestjs/graphql';
import { IsArray, Matches } from 'class-validator';
import { BulkList } from '@app/common';
import { IndicatorType } from '@app/database';
import { IndicatorTokenScalar } from '@app/indicators';

/** One token of a bundle; checked in one pass with the rest of the call (validateBundles). */
@InputType({ description: 'One hashed indicator seen on the account of a bundle.' })
export class BundleIndicatorInput {
  @Field(() => IndicatorType, { description: 'What kind of value was hashed.' })
  type: IndicatorType;

  @Field({ description: 'Label of the federation key epoch the token was derived under, e.g. `2026-q4`.' })
  keyEpoch: string;

  @Field(() => IndicatorTokenScalar, { description: 'HMAC-SHA256 of the canonical value under the federation key.' })
  token: string;
}

/** What one member saw together on one of its accounts. */
@InputType({ description: 'What the member saw together on one of its accounts.' })
export class BundleInput {
  @Field({
    description:
      "The member's own pseudonym of the account, 1-256 printable characters; no other member ever sees it. Resubmitting it replaces the bundle's tokens.",
  })
  bundleRef: string;

  @Field({ description: 'When the member saw these tokens together; at most 5 minutes in the future.' })
  observedAt: Date;

  @Field(() => [BundleIndicatorInput], { description: 'The tokens seen on the account; 1 to BUNDLE_MAX_INDICATORS (default 100).' })
  indicators: BundleIndicatorInput[];
}

@InputType({ description: 'A batch of bundles, stored all or nothing.' })
export class SubmitBundlesInput {
  @Field({
    description:
      'Client-chosen key (8-128 of A-Z a-z 0-9 . _ : -); a retry with the same key returns the first result and stores nothing twice. ' +
      'Keys are shared with submitIndicators.',
  })
  @Matches(/^[A-Za-z0-9._:-]{8,128}$/, { message: 'idempotencyKey must be 8-128 characters of A-Z a-z 0-9 . _ : -' })
  idempotencyKey: string;

  @Field(() => [BundleInput], { description: 'The bundles; 1 to BUNDLE_MAX_PER_REQUEST (default 1,000).' })
  @IsArray()
  // GraphQL checked each field's type and token; validateBundles checks the rest in one pass.
  @BulkList()
  bundles: BundleInput[];
}
