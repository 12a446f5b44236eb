import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

/** Why a template signature operation was refused. */
export enum SimilarityErrorCode {
  /** The idempotency key was used before by this member for a different batch of signatures. */
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
}

/** Errors of the similarity module; nothing was stored or changed when one is thrown. */
export class SimilarityError extends DomainError<SimilarityErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case SimilarityErrorCode.IdempotencyKeyReused:
        return 'CONFLICT';
      default:
        return assertUnreachable(this.code);
    }
  }
}
