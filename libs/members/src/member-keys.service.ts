import { Injectable, Optional } from '@nestjs/common';
import { AuditAction, AuditService, memberActor } from '@app/audit';
import { MemberStateCache, type AuthenticatedMember } from '@app/auth';
import { KeyStatus, MemberRole, PrismaService, type Prisma } from '@app/database';
import { OutboxService } from '@app/outbox';
import type { AddMemberKeyInput } from './dto/add-member-key.input.js';
import type { RevokeMemberKeyInput } from './dto/revoke-member-key.input.js';
import { normalizePublicJwk } from './keys/public-jwk.js';
import { KEY_SELECT, toMemberKey } from './member.mapper.js';
import { MembersError, MembersErrorCode } from './members.error.js';
import type { MemberKey } from './models/member.model.js';

/** Most ACTIVE keys one member may hold (rotation needs two; a few spare). */
export const MAX_ACTIVE_KEYS = 10;

/** Locks the member's row so concurrent key changes see each other's counts. */
async function lockMember(tx: Prisma.TransactionClient, memberId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM members WHERE id = ${memberId}::uuid FOR UPDATE`;
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
  async add(caller: AuthenticatedMember, input: AddMemberKeyInput, requestId?: string): Promise<MemberKey> {
    const key = await normalizePublicJwk(input.publicJwk);
    return this.prisma.$transaction(async (tx) => {
      await lockMember(tx, caller.id);
      const active = await tx.memberKey.count({ where: { memberId: caller.id, status: KeyStatus.ACTIVE } });
      if (active >= MAX_ACTIVE_KEYS) {
        throw new MembersError(
          MembersErrorCode.TOO_MANY_KEYS,
          `A member may hold at most ${MAX_ACTIVE_KEYS} active keys; revoke one first`,
        );
      }
      if (await tx.memberKey.findUnique({ where: { kid: key.kid }, select: { kid: true } })) {
        throw new MembersError(MembersErrorCode.KEY_ALREADY_REGISTERED, 'This public key is registered already');
      }
      const row = await tx.memberKey.create({
        data: { memberId: caller.id, kid: key.kid, alg: key.alg, publicJwk: key.publicJwk },
        select: KEY_SELECT,
      });
      await this.audit.record(tx, {
        actor: memberActor(caller),
        action: AuditAction.MemberKeyAdded,
        target: { type: 'member_key', id: key.kid },
        requestId,
        details: { memberId: caller.id, alg: key.alg },
      });
      return toMemberKey(row);
    });
  }

  /**
   * Revokes a key: the caller's own, or any member's when the caller is an
   * admin (others' keys are NOT_FOUND to members). The last active key of a
   * member cannot be revoked: suspend the member instead.
   */
  async revoke(caller: AuthenticatedMember, input: RevokeMemberKeyInput, requestId?: string): Promise<MemberKey> {
    const notFound = () => new MembersError(MembersErrorCode.KEY_NOT_FOUND, 'No such key');
    let memberId = '';
    const revoked = await this.prisma.$transaction(async (tx) => {
      const owner = await tx.memberKey.findUnique({ where: { kid: input.kid }, select: { memberId: true } });
      if (!owner || (caller.role !== MemberRole.ADMIN && owner.memberId !== caller.id)) throw notFound();
      memberId = owner.memberId;
      await lockMember(tx, owner.memberId);
      const key = await tx.memberKey.findUnique({ where: { kid: input.kid }, select: { status: true } });
      if (!key) throw notFound();
      if (key.status === KeyStatus.REVOKED) {
        throw new MembersError(MembersErrorCode.KEY_ALREADY_REVOKED, 'This key is revoked already');
      }
      const active = await tx.memberKey.count({ where: { memberId: owner.memberId, status: KeyStatus.ACTIVE } });
      if (active <= 1) {
        throw new MembersError(
          MembersErrorCode.LAST_ACTIVE_KEY,
          'This is the member’s last active key: add a new key first (an admin suspends the member instead)',
        );
      }
      const row = await tx.memberKey.update({
        where: { kid: input.kid },
        data: { status: KeyStatus.REVOKED, revokedAt: new Date() },
        select: KEY_SELECT,
      });
      // Announced with the change: the member's endpoints get `member.key_revoked` (libs/webhooks).
      await this.outbox.publish(tx, 'member_key.revoked', { memberId: owner.memberId, kid: input.kid });
      await this.audit.record(tx, {
        actor: memberActor(caller),
        action: AuditAction.MemberKeyRevoked,
        target: { type: 'member_key', id: input.kid },
        requestId,
        details: { memberId: owner.memberId, byAdmin: owner.memberId !== caller.id },
      });
      return toMemberKey(row);
    });
    // Committed: every API process refuses tokens obtained with this key from the next request on.
    await this.states?.changed(memberId);
    return revoked;
  }
}
