import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

export enum AuditCheckpointErrorCode {
  /** The audit chain (or its newest checkpoint) does not verify: nothing is signed over a broken chain. */
  ChainBroken = 'AUDIT_CHAIN_BROKEN',
}

/** A checkpoint that cannot be signed; `details` name the first broken entry. */
export class AuditCheckpointError extends DomainError<AuditCheckpointErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case AuditCheckpointErrorCode.ChainBroken:
        return 'CONFLICT';
      default:
        return assertUnreachable(this.code);
    }
  }
}
