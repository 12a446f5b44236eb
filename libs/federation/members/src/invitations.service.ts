import { Injectable } from '@nestjs/common';
import { AuditAction, AuditService, memberActor } from '@app/audit';
import type { AuthenticatedMember } from '@app/auth';
import { MemberRole, MemberStatus, PrismaService, type Invitation as InvitationRow } from '@app/database';
import { hashInvitationToken, newClientId, newInvitationToken } from './credentials.js';
import type { AcceptInvitationInput } from './dto/accept-invitation.input.js';
import type { CreateInvitationInput } from './dto/create-invitation.input.js';
import { normalizePublicJwk } from './keys/public-jwk.js';
import { MEMBER_SELECT, toMember } from './member.mapper.js';
import { MemberError, MemberErrorCode } from './member.error.js';
import type { CreateInvitationPayload, Invitation } from './models/invitation.model.js';
import type { Member } from './models/member.model.js';

const DEFAULT_EXPIRY_HOURS = 72;

function toInvitation(row: InvitationRow, clientId: string): Invitation {
  return {
    id: row.id,
    organizationName: row.organizationName,
    contactEmail: row.contactEmail,
    memberId: row.memberId,
    clientId,
    expiresAt: row.expiresAt,
    acceptedAt: row.acceptedAt,
    withdrawnAt: row.revokedAt,
    createdAt: row.createdAt,
  };
}

/** Onboarding: invitations made by admins and accepted by organizations. */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Creates the organization's member (INVITED, with its client id) and a
   * one-time invitation; returns the token, of which only the hash is kept.
   */
  async create(admin: AuthenticatedMember, input: CreateInvitationInput, requestId?: string): Promise<CreateInvitationPayload> {
    const invitationToken = newInvitationToken();
    const hours = input.expiresInHours ?? DEFAULT_EXPIRY_HOURS;
    const expiresAt = new Date(Date.now() + hours * 3_600_000);
    return this.prisma.$transaction(async (tx) => {
      const member = await tx.member.create({
        data: {
          clientId: newClientId(),
          name: input.organizationName,
          contactEmail: input.contactEmail,
          status: MemberStatus.INVITED,
          role: MemberRole.MEMBER,
        },
        select: { id: true, clientId: true },
      });
      const invitation = await tx.invitation.create({
        data: {
          tokenHash: hashInvitationToken(invitationToken),
          memberId: member.id,
          createdById: admin.id,
          organizationName: input.organizationName,
          contactEmail: input.contactEmail,
          expiresAt,
        },
      });
      // No e-mail address in the log: entries can never be erased.
      await this.audit.record(tx, {
        actor: memberActor(admin),
        action: AuditAction.InvitationCreated,
        target: { type: 'member', id: member.id },
        requestId,
        details: {
          invitationId: invitation.id,
          clientId: member.clientId,
          organizationName: input.organizationName,
          expiresAt: expiresAt.toISOString(),
        },
      });
      return { invitation: toInvitation(invitation, member.clientId), invitationToken };
    });
  }

  /**
   * Redeems an invitation token once: registers the first public key and
   * makes the member ACTIVE. Unknown, used and expired tokens are refused,
   * each with its own error.
   */
  async accept(input: AcceptInvitationInput, requestId?: string): Promise<Member> {
    const key = await normalizePublicJwk(input.publicJwk);
    const tokenHash = hashInvitationToken(input.invitationToken);
    return this.prisma.$transaction(async (tx) => {
      const invitation = await tx.invitation.findUnique({ where: { tokenHash } });
      if (!invitation || invitation.revokedAt) {
        throw new MemberError(MemberErrorCode.InvitationInvalid, 'This invitation token is not valid');
      }
      if (invitation.acceptedAt) {
        throw new MemberError(MemberErrorCode.InvitationUsed, 'This invitation has been accepted already');
      }
      if (invitation.expiresAt.getTime() <= Date.now()) {
        throw new MemberError(MemberErrorCode.InvitationExpired, 'This invitation has expired; ask the operator for a new one');
      }
      // Conditional update: of two simultaneous acceptances, exactly one wins.
      const claimed = await tx.invitation.updateMany({
        where: { id: invitation.id, acceptedAt: null, revokedAt: null },
        data: { acceptedAt: new Date() },
      });
      if (claimed.count !== 1) {
        throw new MemberError(MemberErrorCode.InvitationUsed, 'This invitation has been accepted already');
      }
      if (await tx.memberKey.findUnique({ where: { kid: key.kid }, select: { kid: true } })) {
        throw new MemberError(MemberErrorCode.KeyAlreadyRegistered, 'This public key is registered already');
      }
      await tx.memberKey.create({
        data: { memberId: invitation.memberId, kid: key.kid, alg: key.alg, publicJwk: key.publicJwk },
      });
      const row = await tx.member.update({
        where: { id: invitation.memberId },
        data: { status: MemberStatus.ACTIVE },
        select: MEMBER_SELECT,
      });
      await this.audit.record(tx, {
        actor: memberActor(row),
        action: AuditAction.InvitationAccepted,
        target: { type: 'member', id: row.id },
        requestId,
        details: { invitationId: invitation.id, kid: key.kid, alg: key.alg },
      });
      return toMember(row);
    });
  }

  /**
   * Withdraws an invitation that was not accepted yet: its token is refused
   * from then on (INVITATION_INVALID, as for an unknown token). The invited
   * member stays INVITED with no key, so it can never authenticate.
   */
  async withdraw(admin: AuthenticatedMember, invitationId: string, requestId?: string): Promise<Invitation> {
    return this.prisma.$transaction(async (tx) => {
      // Conditional update: a withdrawal and an acceptance at the same moment cannot both win.
      const claimed = await tx.invitation.updateMany({
        where: { id: invitationId, acceptedAt: null, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      const invitation = await tx.invitation.findUnique({
        where: { id: invitationId },
        include: { member: { select: { clientId: true } } },
      });
      if (!invitation) throw new MemberError(MemberErrorCode.InvitationNotFound, `No invitation has id ${invitationId}`);
      if (claimed.count !== 1) {
        if (invitation.acceptedAt)
          throw new MemberError(MemberErrorCode.InvitationUsed, 'This invitation has been accepted already; suspend the member instead');
        throw new MemberError(MemberErrorCode.InvitationWithdrawn, 'This invitation was withdrawn already');
      }
      await this.audit.record(tx, {
        actor: memberActor(admin),
        action: AuditAction.InvitationWithdrawn,
        target: { type: 'member', id: invitation.memberId },
        requestId,
        details: { invitationId: invitation.id, clientId: invitation.member.clientId },
      });
      return toInvitation(invitation, invitation.member.clientId);
    });
  }
}
