import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { RetractTemplateSignaturesInput } from './dto/retract-template-signatures.input.js';
import { SubmitTemplateSignaturesInput } from './dto/submit-template-signatures.input.js';
import { TemplateSignatureRetractionResult, TemplateSignatureSubmissionResult } from './models/template-signature-result.model.js';
import { TemplateSignaturesService } from './template-signatures.service.js';

/** Submission and retraction of the caller's own template signatures. */
@Resolver()
export class TemplateSignaturesResolver {
  constructor(private readonly signatures: TemplateSignaturesService) {}

  @Mutation(() => TemplateSignatureSubmissionResult, {
    description:
      "Store a batch of prompt templates' keyed MinHash signatures (all or nothing); similar signatures of other members open SIMILAR alerts.",
  })
  submitTemplateSignatures(
    @CurrentMember() me: AuthenticatedMember,
    @Args('input') input: SubmitTemplateSignaturesInput,
  ): Promise<TemplateSignatureSubmissionResult> {
    return this.signatures.submit(me.id, input);
  }

  @Mutation(() => TemplateSignatureRetractionResult, {
    description: 'Stop holding the template signatures with these externalRefs; SIMILAR alerts built on them are re-evaluated.',
  })
  retractTemplateSignatures(
    @CurrentMember() me: AuthenticatedMember,
    @Args('input') input: RetractTemplateSignaturesInput,
  ): Promise<TemplateSignatureRetractionResult> {
    return this.signatures.retract(me.id, input);
  }
}
