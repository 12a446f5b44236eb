import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'What a submitIndicators call stored.' })
export class SubmissionResult {
  @Field(() => ID, { description: 'The submission; the same for every retry with the same idempotency key.' })
  submissionId: string;

  @Field(() => Int, { description: 'Indicators that became active records of this member (new, or expired and now renewed).' })
  accepted: number;

  @Field(() => Int, {
    description:
      'Indicators that refreshed a record this member already held, or repeated an earlier item of the same call. accepted + duplicates = items sent.',
  })
  duplicates: number;
}

@ObjectType({ description: 'What a retractIndicators call removed.' })
export class RetractionResult {
  @Field(() => Int, { description: 'Records of this member that were removed (tokens it did not hold are ignored).' })
  retracted: number;
}
