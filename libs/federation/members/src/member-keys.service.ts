import { Injectable, Optional } from '@nestjs/common';
import { AuditAction, AuditService, memberActor } from '@app/audit';
import { MemberStateCache, type AuthenticatedMember } from '@app/auth';
import { KeyStatus, MemberRole, PrismaService, queryRows, type Prisma } from '@app/database';
import { OutboxService } from '@app/outbox';
import type { AddMemberKeyInput } from './dto/add-member-key.input.js';
import type { RevokeMemberKeyInput } from './dto/revoke-member-key.input.js';
import { normalizePublicJwk } from './keys/public-jwk.js';
import { KEY_SELECT, toMemberKey } from './member.mapper.js';
import { MemberError, MemberErrorCode } from './member.error.js';
import { lockMember as lockMemberRow } from './members.sql.js';
import type { MemberKey } from './models/member.model.js';

/** Most ACTIVE keys one member may hold (rotation needs two; a few spare). */
export const MAX_ACTIVE_KEYS = 10;

/** Locks the member's row so concurrent key changes see each other's counts. */
async function lockMember(tx: Prisma.TransactionClient, memberId: string): Promise<void> {
  await queryRows(tx, lockMemberRow, [memberId]);
}

/** A member's public keys: adding and revoking. */
@Injectable()
export class MemberKeysService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    // Absent outside the API (the CLI): there, no API process caches member state to tell.
    @Optional() private readonly states?: MemberStateCache,
  ) {}

  /** Registers another public key for the calling member. */
  async add(member: AuthenticatedMember, input: AddMemberKeyInput, requestId?: string): Promise<MemberKey> {
    const key = await normalizePublicJwk(input.publicJwk);
    return this.prisma.$transaction(async (tx) => {
      await lockMember(tx, member.id);
      const active = await tx.memberKey.count({ where: { memberId: member.id, status: KeyStatus.ACTIVE } });
      if (active >= MAX_ACTIVE_KEYS) {
        throw new MemberError(MemberErrorCode.TooManyKeys, `A member may hold at most ${MAX_ACTIVE_KEYS} active keys; revoke one first`);
      }
      if (await tx.memberKey.findUnique({ where: { kid: key.kid }, select: { kid: true } })) {
        throw new MemberError(MemberErrorCode.KeyAlreadyRegistered, 'This public key is registered already');
      }
      const row = await tx.memberKey.create({
        data: { memberId: member.id, kid: key.kid, alg: key.alg, publicJwk: key.publicJwk },
        select: KEY_SELECT,
      });
      await this.audit.record(tx, {
        actor: memberActor(member),
        action: AuditAction.MemberKeyAdded,
        target: { type: 'member_key', id: key.kid },
        requestId,
        details: { memberId: member.id, alg: key.alg },
      });
      return toMemberKey(row);
    });
  }

  /**
   * Revokes a key: the caller's own, or any member's when the caller is an
   * admin (others' keys are NOT_FOUND to members). The last active key of a
   * member cannot be revoked: suspend the member instead.
   */
  async revoke(member: AuthenticatedMember, input: RevokeMemberKeyInput, requestId?: string): Promise<MemberKey> {
    const notFound = () => new MemberError(MemberErrorCode.KeyNotFound, 'No such key');
    let memberId = '';
    const revoked = await this.prisma.$transaction(async (tx) => {
      const owner = await tx.memberKey.findUnique({ where: { kid: input.kid }, select: { memberId: true } });
      if (!owner || (member.role !== MemberRole.ADMIN && owner.memberId !== member.id)) throw notFound();
      memberId = owner.memberId;
      await lockMember(tx, owner.memberId);
      const key = await tx.memberKey.findUnique({ where: { kid: input.kid }, select: { status: true } });
      if (!key) throw notFound();
      if (key.status === KeyStatus.REVOKED) {
        throw new MemberError(MemberErrorCode.KeyAlreadyRevoked, 'This key is revoked already');
      }
      const active = await tx.memberKey.count({ where: { memberId: owner.memberId, status: KeyStatus.ACTIVE } });
      if (active <= 1) {
        throw new MemberError(
          MemberErrorCode.LastActiveKey,
          'This is the member’s last active key: add a new key first (an admin suspends the member instead)',
        );
      }
      const row = await tx.memberKey.update({
        where: { kid: input.kid },
        data: { status: KeyStatus.REVOKED, revokedAt: new Date() },
        select: KEY_SELECT,
      });
      // Announced with the change: the member's endpoints get `member.key_revoked` (libs/federation/webhooks).
      await this.outbox.publish(tx, 'member_key.revoked', { memberId: owner.memberId, kid: input.kid });
      await this.audit.record(tx, {
        actor: memberActor(member),
        action: AuditAction.MemberKeyRevoked,
        target: { type: 'member_key', id: input.kid },
        requestId,
        details: { memberId: owner.memberId, byAdmin: owner.memberId !== member.id },
      });
      return toMemberKey(row);
    });
    // Committed: every API process refuses tokens obtained with this key from the next request on.
    await this.states?.changed(memberId);
    return revoked;
  }
}
