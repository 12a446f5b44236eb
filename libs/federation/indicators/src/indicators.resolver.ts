import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { RetractIndicatorsInput } from './dto/retract-indicators.input.js';
import { SubmitIndicatorsInput } from './dto/submit-indicators.input.js';
import { IndicatorsService } from './indicators.service.js';
import { RetractionResult, SubmissionResult } from './models/submission-result.model.js';

/** Submission and retraction of the caller's own hashed indicators. */
@Resolver()
export class IndicatorsResolver {
  constructor(private readonly indicators: IndicatorsService) {}

  @Mutation(() => SubmissionResult, {
    description: 'Store a batch of hashed indicators (all or nothing). Send them as variables, not inline literals.',
  })
  submitIndicators(@CurrentMember() me: AuthenticatedMember, @Args('input') input: SubmitIndicatorsInput): Promise<SubmissionResult> {
    return this.indicators.submit(me.id, input);
  }

  @Mutation(() => RetractionResult, { description: 'Stop holding these tokens; alerts built on them are re-evaluated.' })
  retractIndicators(@CurrentMember() me: AuthenticatedMember, @Args('input') input: RetractIndicatorsInput): Promise<RetractionResult> {
    return this.indicators.retract(me.id, input);
  }
}
