import { Field, InputType, Int } from '@nestjs/graphql';
import { IsArray, Matches } from 'class-validator';
import { BulkList } from '@app/common';
import { IndicatorTokenScalar } from '@app/indicators';

/**
 * One keyed MinHash signature of a prompt template. Its fields are checked
 * in one pass by validateSignatures (not class-validator: up to
 * MAX_TEMPLATE_SIGNATURES_PER_SUBMISSION items per call).
 */
@InputType({ description: "One template's keyed MinHash signature (the SDK's templateSignature), to store." })
export class TemplateSignatureInput {
  @Field({ description: 'Label of the federation key epoch the band tokens were derived under (HMAC or TWO_KEY).' })
  keyEpoch: string;

  @Field(() => [IndicatorTokenScalar], {
    description: 'Exactly 32 band tokens (64 lowercase hex each), in band order 0 to 31; never shown to another member.',
  })
  bands: string[];

  @Field({ nullable: true, description: 'When the member saw the template; defaults to now; at most 5 minutes in the future.' })
  observedAt?: Date;

  @Field({ nullable: true, description: 'When it stops counting; defaults to TTL_DAYS_PROMPT_TEMPLATE days.' })
  expiresAt?: Date;

  @Field(() => Int, { nullable: true, description: 'Confidence 0-100 that the template is abusive; default 50.' })
  confidence?: number;

  @Field({
    nullable: true,
    description:
      "The member's own reference (e.g. a case id), at most 256 characters; only this member sees it, and retractTemplateSignatures retracts by it.",
  })
  externalRef?: string;

  @Field({ nullable: true, description: "Let members with a similar signature see this member's name; default false." })
  discloseIdentity?: boolean;
}

@InputType({ description: 'A batch of template signatures.' })
export class SubmitTemplateSignaturesInput {
  @Field({
    description:
      'Client-chosen key (8-128 of A-Z a-z 0-9 . _ : -); a retry with the same key returns the first result and stores nothing twice.',
  })
  @Matches(/^[A-Za-z0-9._:-]{8,128}$/, { message: 'idempotencyKey must be 8-128 characters of A-Z a-z 0-9 . _ : -' })
  idempotencyKey: string;

  @Field(() => [TemplateSignatureInput], {
    description: 'The signatures; at most MAX_TEMPLATE_SIGNATURES_PER_SUBMISSION (default 500).',
  })
  @IsArray()
  // GraphQL has checked each band token's form; validateSignatures checks the rest in one pass.
  @BulkList()
  signatures: TemplateSignatureInput[];
}
