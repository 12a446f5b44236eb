import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

export enum MembersErrorCode {
  /** No invitation has this token (or it was withdrawn). */
  INVITATION_INVALID = 'INVITATION_INVALID',
  /** The invitation's time ran out; ask the operator for a new one. */
  INVITATION_EXPIRED = 'INVITATION_EXPIRED',
  /** The invitation was already accepted; tokens are single-use. */
  INVITATION_USED = 'INVITATION_USED',
  /** No invitation with this id. */
  INVITATION_NOT_FOUND = 'INVITATION_NOT_FOUND',
  /** The invitation was withdrawn already. */
  INVITATION_WITHDRAWN = 'INVITATION_WITHDRAWN',
  /** No member with this id (or not one the caller may see). */
  MEMBER_NOT_FOUND = 'MEMBER_NOT_FOUND',
  /** No key with this kid (or not one the caller may manage). */
  KEY_NOT_FOUND = 'KEY_NOT_FOUND',
  /** This public key is registered already (to this or another member). */
  KEY_ALREADY_REGISTERED = 'KEY_ALREADY_REGISTERED',
  /** The key is revoked already. */
  KEY_ALREADY_REVOKED = 'KEY_ALREADY_REVOKED',
  /** Revoking it would leave the member without an active key. */
  LAST_ACTIVE_KEY = 'LAST_ACTIVE_KEY',
  /** The member has as many active keys as allowed. */
  TOO_MANY_KEYS = 'TOO_MANY_KEYS',
  /** The member is not ACTIVE (only active members can be suspended). */
  MEMBER_NOT_ACTIVE = 'MEMBER_NOT_ACTIVE',
  /** The member is not SUSPENDED (only suspended members can be reinstated). */
  MEMBER_NOT_SUSPENDED = 'MEMBER_NOT_SUSPENDED',
  /** An admin cannot suspend itself (the federation would lose its operator). */
  CANNOT_SUSPEND_SELF = 'CANNOT_SUSPEND_SELF',
  /** An admin exists already; adding another must be asked for explicitly. */
  ADMIN_EXISTS = 'ADMIN_EXISTS',
}

/** Member, key and invitation rule violations. */
export class MembersError extends DomainError<MembersErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case MembersErrorCode.INVITATION_INVALID:
      case MembersErrorCode.INVITATION_EXPIRED:
      case MembersErrorCode.INVITATION_USED:
      case MembersErrorCode.CANNOT_SUSPEND_SELF:
        return 'BAD_USER_INPUT';
      case MembersErrorCode.INVITATION_NOT_FOUND:
      case MembersErrorCode.MEMBER_NOT_FOUND:
      case MembersErrorCode.KEY_NOT_FOUND:
        return 'NOT_FOUND';
      case MembersErrorCode.INVITATION_WITHDRAWN:
      case MembersErrorCode.KEY_ALREADY_REGISTERED:
      case MembersErrorCode.KEY_ALREADY_REVOKED:
      case MembersErrorCode.LAST_ACTIVE_KEY:
      case MembersErrorCode.TOO_MANY_KEYS:
      case MembersErrorCode.MEMBER_NOT_ACTIVE:
      case MembersErrorCode.MEMBER_NOT_SUSPENDED:
      case MembersErrorCode.ADMIN_EXISTS:
        return 'CONFLICT';
      default:
        return assertUnreachable(this.code);
    }
  }
}
