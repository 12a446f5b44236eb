import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

/** Why an operator's key-epoch command was refused. */
export enum KeyEpochErrorCode {
  /** An epoch with this label exists already (labels are never reused: tokens carry them). */
  Exists = 'KEY_EPOCH_EXISTS',
  /** No epoch has this label. */
  NotFound = 'KEY_EPOCH_NOT_FOUND',
  /** The label, scheme or validity window is not acceptable. */
  Invalid = 'KEY_EPOCH_INVALID',
}

/** A refused key-epoch command; nothing was changed. */
export class KeyEpochError extends DomainError<KeyEpochErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case KeyEpochErrorCode.Exists:
        return 'CONFLICT';
      case KeyEpochErrorCode.NotFound:
        return 'NOT_FOUND';
      case KeyEpochErrorCode.Invalid:
        return 'BAD_USER_INPUT';
      default:
        return assertUnreachable(this.code);
    }
  }
}
