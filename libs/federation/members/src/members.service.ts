import { Injectable, Optional } from '@nestjs/common';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { AuditAction, AuditService, memberActor, type AuditActor } from '@app/audit';
import { MemberStateCache, type AuthenticatedMember } from '@app/auth';
import { decodeCursor, encodeCursor, invalidCursor, pageSize, toConnection, type ConnectionShape } from '@app/common';
import { executeRows, MemberRole, MemberStatus, PrismaService } from '@app/database';
import { OutboxService } from '@app/outbox';
import { newClientId } from './credentials.js';
import type { MembersArgs } from './dto/members.args.js';
import type { ReinstateMemberInput } from './dto/reinstate-member.input.js';
import type { SetSubmissionQuotaArgs } from './dto/set-submission-quota.args.js';
import type { SuspendMemberInput } from './dto/suspend-member.input.js';
import { normalizePublicJwk } from './keys/public-jwk.js';
import { MEMBER_SELECT, toMember } from './member.mapper.js';
import { MemberError, MemberErrorCode } from './member.error.js';
import { advisoryLock } from './members.sql.js';
import type { Member } from './models/member.model.js';

/** Serializes admin bootstrapping so two first starts cannot both create "the first" admin. */
const BOOTSTRAP_LOCK = 4_471_525_103;
const LIST = 'members';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A freshly bootstrapped admin and the private key only its credential file will hold. */
export interface BootstrappedAdmin {
  member: Member;
  privateJwk: JWK;
}

/** Members: reading them, suspension, and creating admins. */
@Injectable()
export class MembersService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    // Absent outside the API (the CLI): there, no API process caches member state to tell.
    @Optional() private readonly states?: MemberStateCache,
  ) {}

  /** The calling member itself. */
  async me(member: AuthenticatedMember): Promise<Member> {
    const row = await this.prisma.member.findUnique({ where: { id: member.id }, select: MEMBER_SELECT });
    if (!row) throw new MemberError(MemberErrorCode.MemberNotFound, 'Member not found');
    return toMember(row);
  }

  /** A page of all members, oldest first (admin). */
  async list(args: MembersArgs): Promise<ConnectionShape<Member>> {
    const first = pageSize(args.first);
    let after: string | undefined;
    if (args.after) {
      [after] = decodeCursor(LIST, args.after, ['string'] as const);
      if (!UUID.test(after)) throw invalidCursor();
    }
    // Prisma's cursor compares (created_at, id) against the cursor row in SQL,
    // at the column's full microsecond precision.
    const rows = await this.prisma.member.findMany({
      select: MEMBER_SELECT,
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: first + 1,
      ...(after ? { cursor: { id: after }, skip: 1 } : {}),
    });
    return toConnection(rows, first, (row) => encodeCursor(LIST, [row.id]), toMember);
  }

  /** Sets (or, with null, clears) a member's hourly submission quota (admin); audited. */
  async setSubmissionQuota(admin: AuthenticatedMember, args: SetSubmissionQuotaArgs, requestId?: string): Promise<Member> {
    return this.prisma.$transaction(async (tx) => {
      const found = await tx.member.updateMany({
        where: { id: args.memberId },
        data: { indicatorsPerHour: args.indicatorsPerHour ?? null },
      });
      if (found.count === 0) throw new MemberError(MemberErrorCode.MemberNotFound, 'Member not found');
      await this.audit.record(tx, {
        actor: memberActor(admin),
        action: AuditAction.SubmissionQuotaSet,
        target: { type: 'member', id: args.memberId },
        requestId,
        details: { indicatorsPerHour: args.indicatorsPerHour ?? null },
      });
      return toMember(await tx.member.findUniqueOrThrow({ where: { id: args.memberId }, select: MEMBER_SELECT }));
    });
  }

  /**
   * Suspends an ACTIVE member; its access tokens are refused from the next
   * request on, and its records stop counting: the worker re-evaluates every
   * match they take part in (MemberStateChanged, in the same transaction).
   */
  async suspend(admin: AuthenticatedMember, input: SuspendMemberInput, requestId?: string): Promise<Member> {
    if (input.id === admin.id) {
      throw new MemberError(MemberErrorCode.CannotSuspendSelf, 'An admin cannot suspend itself');
    }
    const suspended = await this.prisma.$transaction(async (tx) => {
      const changed = await tx.member.updateMany({
        where: { id: input.id, status: MemberStatus.ACTIVE },
        data: { status: MemberStatus.SUSPENDED, suspendedAt: new Date(), suspendedReason: input.reason },
      });
      const row = await tx.member.findUnique({ where: { id: input.id }, select: MEMBER_SELECT });
      if (!row) throw new MemberError(MemberErrorCode.MemberNotFound, 'Member not found');
      if (changed.count === 0) {
        throw new MemberError(MemberErrorCode.MemberNotActive, `Only ACTIVE members can be suspended; this one is ${row.status}`);
      }
      await this.audit.record(tx, {
        actor: memberActor(admin),
        action: AuditAction.MemberSuspended,
        target: { type: 'member', id: row.id },
        requestId,
        details: { clientId: row.clientId, reason: input.reason },
      });
      await this.outbox.publish(tx, 'member.state_changed', { memberId: row.id });
      return toMember(row);
    });
    // Committed: every API process refuses the member's tokens from the next request on.
    await this.states?.changed(input.id);
    return suspended;
  }

  /** Makes a SUSPENDED member ACTIVE again; its records count again from the worker's re-evaluation on. */
  async reinstate(admin: AuthenticatedMember, input: ReinstateMemberInput, requestId?: string): Promise<Member> {
    const reinstated = await this.prisma.$transaction(async (tx) => {
      const changed = await tx.member.updateMany({
        where: { id: input.id, status: MemberStatus.SUSPENDED },
        data: { status: MemberStatus.ACTIVE, suspendedAt: null, suspendedReason: null },
      });
      const row = await tx.member.findUnique({ where: { id: input.id }, select: MEMBER_SELECT });
      if (!row) throw new MemberError(MemberErrorCode.MemberNotFound, 'Member not found');
      if (changed.count === 0) {
        throw new MemberError(MemberErrorCode.MemberNotSuspended, `Only SUSPENDED members can be reinstated; this one is ${row.status}`);
      }
      await this.audit.record(tx, {
        actor: memberActor(admin),
        action: AuditAction.MemberReinstated,
        target: { type: 'member', id: row.id },
        requestId,
        details: { clientId: row.clientId },
      });
      await this.outbox.publish(tx, 'member.state_changed', { memberId: row.id });
      return toMember(row);
    });
    await this.states?.changed(input.id);
    return reinstated;
  }

  /** Whether any admin member exists. */
  async adminExists(): Promise<boolean> {
    return (await this.prisma.member.count({ where: { role: MemberRole.ADMIN } })) > 0;
  }

  /**
   * Creates an ACTIVE admin member with a new Ed25519 key pair and returns
   * the private key, which the caller writes to the operator's credential
   * file; the server keeps only the public key. Refuses when an admin exists
   * unless `additional`.
   */
  async bootstrapAdmin(name: string, options: { additional: boolean; actor: AuditActor }): Promise<BootstrappedAdmin> {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const key = await normalizePublicJwk((await exportJWK(pair.publicKey)) as Record<string, string>);
    const privateJwk: JWK = { ...(await exportJWK(pair.privateKey)), kid: key.kid, alg: key.alg };
    return this.prisma.$transaction(async (tx) => {
      await executeRows(tx, advisoryLock, [BOOTSTRAP_LOCK]);
      const admins = await tx.member.count({ where: { role: MemberRole.ADMIN } });
      if (admins > 0 && !options.additional) {
        throw new MemberError(MemberErrorCode.AdminExists, 'An admin member exists already; pass --add to create another');
      }
      const row = await tx.member.create({
        data: {
          clientId: newClientId(),
          name,
          status: MemberStatus.ACTIVE,
          role: MemberRole.ADMIN,
          keys: { create: { kid: key.kid, alg: key.alg, publicJwk: key.publicJwk } },
        },
        select: MEMBER_SELECT,
      });
      await this.audit.record(tx, {
        actor: options.actor,
        action: AuditAction.AdminBootstrapped,
        target: { type: 'member', id: row.id },
        details: { clientId: row.clientId, name, kid: key.kid, additional: admins > 0 },
      });
      return { member: toMember(row), privateJwk };
    });
  }
}
