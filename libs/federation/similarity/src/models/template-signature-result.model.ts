import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'What a submitTemplateSignatures call stored.' })
export class TemplateSignatureSubmissionResult {
  @Field(() => ID, { description: 'The submission; the same for every retry with the same idempotency key.' })
  submissionId: string;

  @Field(() => Int, { description: 'Signatures that became active records of this member (new, or expired and now renewed).' })
  accepted: number;

  @Field(() => Int, {
    description:
      'Signatures that refreshed a record this member already held, or repeated an earlier item of the same call. accepted + duplicates = items sent.',
  })
  duplicates: number;
}

@ObjectType({ description: 'What a retractTemplateSignatures call removed.' })
export class TemplateSignatureRetractionResult {
  @Field(() => Int, { description: 'Live signatures of this member that were retracted (references it did not use are ignored).' })
  retracted: number;
}
