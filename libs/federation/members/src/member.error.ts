import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

export enum MemberErrorCode {
  /** No invitation has this token (or it was withdrawn). */
  InvitationInvalid = 'INVITATION_INVALID',
  /** The invitation's time ran out; ask the operator for a new one. */
  InvitationExpired = 'INVITATION_EXPIRED',
  /** The invitation was already accepted; tokens are single-use. */
  InvitationUsed = 'INVITATION_USED',
  /** No invitation with this id. */
  InvitationNotFound = 'INVITATION_NOT_FOUND',
  /** The invitation was withdrawn already. */
  InvitationWithdrawn = 'INVITATION_WITHDRAWN',
  /** No member with this id (or not one the caller may see). */
  MemberNotFound = 'MEMBER_NOT_FOUND',
  /** No key with this kid (or not one the caller may manage). */
  KeyNotFound = 'KEY_NOT_FOUND',
  /** This public key is registered already (to this or another member). */
  KeyAlreadyRegistered = 'KEY_ALREADY_REGISTERED',
  /** The key is revoked already. */
  KeyAlreadyRevoked = 'KEY_ALREADY_REVOKED',
  /** Revoking it would leave the member without an active key. */
  LastActiveKey = 'LAST_ACTIVE_KEY',
  /** The member has as many active keys as allowed. */
  TooManyKeys = 'TOO_MANY_KEYS',
  /** The member is not ACTIVE (only active members can be suspended). */
  MemberNotActive = 'MEMBER_NOT_ACTIVE',
  /** The member is not SUSPENDED (only suspended members can be reinstated). */
  MemberNotSuspended = 'MEMBER_NOT_SUSPENDED',
  /** An admin cannot suspend itself (the federation would lose its operator). */
  CannotSuspendSelf = 'CANNOT_SUSPEND_SELF',
  /** An admin exists already; adding another must be asked for explicitly. */
  AdminExists = 'ADMIN_EXISTS',
}

/** Member, key and invitation rule violations. */
export class MemberError extends DomainError<MemberErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case MemberErrorCode.InvitationInvalid:
      case MemberErrorCode.InvitationExpired:
      case MemberErrorCode.InvitationUsed:
      case MemberErrorCode.CannotSuspendSelf:
        return 'BAD_USER_INPUT';
      case MemberErrorCode.InvitationNotFound:
      case MemberErrorCode.MemberNotFound:
      case MemberErrorCode.KeyNotFound:
        return 'NOT_FOUND';
      case MemberErrorCode.InvitationWithdrawn:
      case MemberErrorCode.KeyAlreadyRegistered:
      case MemberErrorCode.KeyAlreadyRevoked:
      case MemberErrorCode.LastActiveKey:
      case MemberErrorCode.TooManyKeys:
      case MemberErrorCode.MemberNotActive:
      case MemberErrorCode.MemberNotSuspended:
      case MemberErrorCode.AdminExists:
        return 'CONFLICT';
      default:
        return assertUnreachable(this.code);
    }
  }
}
