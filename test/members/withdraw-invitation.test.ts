import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberStatus } from '@app/database';
import { TestContext, type TestMember } from '../support/context.js';
import { newKeyPair } from '../support/oauth.js';

const CREATE = `mutation($i: CreateInvitationInput!) {
  createInvitation(input: $i) { invitationToken invitation { id memberId clientId withdrawnAt } }
}`;
const ACCEPT = 'mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { id status } }';
const WITHDRAW =
  'mutation($id: ID!) { withdrawInvitation(invitationId: $id) { id memberId clientId organizationName withdrawnAt acceptedAt } }';

type Created = {
  createInvitation: { invitationToken: string; invitation: { id: string; memberId: string; clientId: string; withdrawnAt: string | null } };
};
type Withdrawn = {
  withdrawInvitation: {
    id: string;
    memberId: string;
    clientId: string;
    organizationName: string;
    withdrawnAt: string;
    acceptedAt: string | null;
  };
};

describe('withdrawInvitation', () => {
  let ctx: TestContext;
  let admin: TestMember;
  let adminToken: string;

  beforeAll(async () => {
    ctx = await TestContext.start();
    admin = await ctx.newAdmin({ name: 'Operator' });
    adminToken = await admin.token();
  });
  afterAll(async () => ctx?.close());

  const invite = async (name: string) => {
    const res = await ctx.gql<Created>(CREATE, { i: { organizationName: name, contactEmail: 'security@lab.example' } }, adminToken);
    expect(res.errors).toBeUndefined();
    return res.data!.createInvitation;
  };
  const accept = async (invitationToken: string) => ctx.gql(ACCEPT, { i: { invitationToken, publicJwk: (await newKeyPair()).publicJwk } });

  it('refuses the token from then on, keeps the member keyless, and records who did it', async () => {
    const { invitationToken, invitation } = await invite('Withdrawn Lab');
    expect(invitation.withdrawnAt).toBeNull();

    const res = await ctx.gql<Withdrawn>(WITHDRAW, { id: invitation.id }, adminToken);
    expect(res.errors).toBeUndefined();
    expect(res.data!.withdrawInvitation).toMatchObject({
      id: invitation.id,
      memberId: invitation.memberId,
      clientId: invitation.clientId,
      organizationName: 'Withdrawn Lab',
      acceptedAt: null,
    });
    expect(Date.parse(res.data!.withdrawInvitation.withdrawnAt)).toBeGreaterThan(Date.now() - 60_000);

    const refused = await accept(invitationToken);
    expect(refused.data ?? null).toBeNull();
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVITATION_INVALID' });
    const member = await ctx.prisma.member.findUniqueOrThrow({ where: { id: invitation.memberId }, include: { keys: true } });
    expect(member.status).toBe(MemberStatus.INVITED);
    expect(member.keys).toEqual([]);

    const entry = await ctx.prisma.auditEvent.findFirstOrThrow({
      where: { action: 'invitation.withdrawn', targetId: invitation.memberId },
    });
    expect(entry).toMatchObject({ actorMemberId: admin.id, details: { invitationId: invitation.id, clientId: invitation.clientId } });
  });

  it('refuses to withdraw twice, an accepted invitation, or an unknown id, each with its code', async () => {
    const first = await invite('Twice Lab');
    expect((await ctx.gql(WITHDRAW, { id: first.invitation.id }, adminToken)).errors).toBeUndefined();
    const again = await ctx.gql(WITHDRAW, { id: first.invitation.id }, adminToken);
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'INVITATION_WITHDRAWN' });

    const joined = await invite('Joined Lab');
    expect((await accept(joined.invitationToken)).errors).toBeUndefined();
    const late = await ctx.gql(WITHDRAW, { id: joined.invitation.id }, adminToken);
    expect(late.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVITATION_USED' });
    expect((await ctx.prisma.member.findUniqueOrThrow({ where: { id: joined.invitation.memberId } })).status).toBe(MemberStatus.ACTIVE);

    const unknown = await ctx.gql(WITHDRAW, { id: '00000000-0000-4000-8000-000000000000' }, adminToken);
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'INVITATION_NOT_FOUND' });
    const malformed = await ctx.gql(WITHDRAW, { id: 'nope' }, adminToken);
    expect(malformed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(malformed.errors?.[0]?.message).toMatch(/invitationId/);
  });

  it('is for admins only', async () => {
    const { invitation } = await invite('Guarded Lab');
    const member = await ctx.newMember({ name: 'Plain Lab' });
    const res = await ctx.gql(WITHDRAW, { id: invitation.id }, await member.token());
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'ROLE_REQUIRED' });
    expect((await ctx.prisma.invitation.findUniqueOrThrow({ where: { id: invitation.id } })).revokedAt).toBeNull();
  });
});
