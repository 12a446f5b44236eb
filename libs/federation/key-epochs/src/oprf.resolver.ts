import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { RequestId } from '@app/common';
import { EvaluateBlindedInput } from './dto/evaluate-blinded.input.js';
import { KeyEpochsService } from './key-epochs.service.js';
import { EvaluateBlindedResult } from './models/evaluate-blinded-result.model.js';
import { OprfKey } from './models/oprf-key.model.js';

/**
 * Query cost of evaluateBlinded: one point per blinded element on top of
 * the fields, so an operation's cost (and the member's RATE_LIMIT_POINTS)
 * follows the work it asks for.
 */
export function evaluateBlindedCost({ args, childComplexity }: { args: Record<string, unknown>; childComplexity: number }): number {
  const elements = (args.input as { blindedElements?: unknown } | undefined)?.blindedElements;
  return 1 + childComplexity + (Array.isArray(elements) ? elements.length : 0);
}

/** The published OPRF keys and blind evaluation, for any authenticated member. */
@Resolver()
export class OprfResolver {
  constructor(private readonly keyEpochs: KeyEpochsService) {}

  @Query(() => [OprfKey], {
    description: "Every two-key epoch's public POPRF key and status; compare with the keys pinned in your configuration.",
  })
  oprfKeys(): Promise<OprfKey[]> {
    return this.keyEpochs.oprfKeys();
  }

  @Mutation(() => EvaluateBlindedResult, {
    description:
      'The server half of the POPRF (RFC 9497, ristretto255-SHA512, info `sigfed:v1:<type>:<keyEpoch>`) for up to OPRF_MAX_ELEMENTS_PER_CALL blinded elements, with one batched DLEQ proof. Costs one query point per element and one evaluation each from the hourly budgets.',
    complexity: evaluateBlindedCost,
  })
  evaluateBlinded(
    @CurrentMember() me: AuthenticatedMember,
    @Args('input') input: EvaluateBlindedInput,
    @RequestId() requestId?: string,
  ): Promise<EvaluateBlindedResult> {
    return this.keyEpochs.evaluate(me, input, requestId);
  }
}
