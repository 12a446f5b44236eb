import { createHash, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStatus, MemberStatus } from '@app/database';
import { TestContext, type TestMember } from '../support/context.js';
import { newKeyPair, signAssertion, type TestKeyPair } from '../support/oauth.js';

const CREATE = `mutation($i: CreateInvitationInput!) {
  createInvitation(input: $i) { invitationToken invitation { id organizationName contactEmail memberId clientId expiresAt acceptedAt } }
}`;
const ACCEPT = `mutation($i: AcceptInvitationInput!) {
  acceptInvitation(input: $i) { id clientId name status role keys { kid alg status publicJwk } }
}`;
const ME = '{ me { id clientId name status role keys { kid alg status revokedAt lastUsedAt } } }';
const ADD_KEY = 'mutation($publicJwk: JSONObject!) { addMemberKey(publicJwk: $publicJwk) { kid alg status } }';
const REVOKE_KEY = 'mutation($kid: String!) { revokeMemberKey(kid: $kid) { kid status revokedAt } }';
const SUSPEND =
  'mutation($id: ID!, $reason: String!) { suspendMember(id: $id, reason: $reason) { id status suspendedAt suspendedReason } }';
const REINSTATE = 'mutation($id: ID!) { reinstateMember(id: $id) { id status suspendedAt } }';

type Created = { createInvitation: { invitationToken: string; invitation: { id: string; clientId: string; memberId: string } } };
type Accepted = { acceptInvitation: { id: string; clientId: string; status: string; keys: { kid: string }[] } };

describe('members, keys and onboarding', () => {
  let ctx: TestContext;
  let admin: TestMember;
  let adminToken: string;

  beforeAll(async () => {
    ctx = await TestContext.start();
    admin = await ctx.newAdmin({ name: 'Operator' });
    adminToken = await admin.token();
  });
  afterAll(async () => ctx?.close());

  async function invite(name = 'Lab One', expiresInHours?: number): Promise<Created['createInvitation']> {
    const res = await ctx.gql<Created>(
      CREATE,
      { i: { organizationName: name, contactEmail: 'security@lab.example', expiresInHours } },
      adminToken,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createInvitation;
  }

  const accept = (invitationToken: string, publicJwk: unknown) => ctx.gql<Accepted>(ACCEPT, { i: { invitationToken, publicJwk } });

  /** A TestMember-like handle for a member onboarded through GraphQL. */
  function holder(clientId: string, key: TestKeyPair) {
    return {
      assertion: (signer: TestKeyPair = key) => signAssertion(signer, clientId, ctx.issuer),
      token: async (signer: TestKeyPair = key) => {
        const answer = await ctx.requestToken(await signAssertion(signer, clientId, ctx.issuer));
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        return answer.body.access_token!;
      },
    };
  }

  describe('onboarding', () => {
    it('takes an organization from invitation to its first authenticated query', async () => {
      const { invitationToken, invitation } = await invite('Lab One');
      expect(invitationToken).toMatch(/^sfinv_[A-Za-z0-9_-]{43}$/);
      expect(invitation.clientId).toMatch(/^sf_[A-Za-z0-9_-]{22}$/);
      const invited = await ctx.prisma.member.findUniqueOrThrow({ where: { id: invitation.memberId } });
      expect(invited.status).toBe(MemberStatus.INVITED);

      // The invitee generates its key pair and sends only the public half, with no bearer token.
      const key = await newKeyPair();
      const accepted = await accept(invitationToken, key.publicJwk);
      expect(accepted.errors).toBeUndefined();
      expect(accepted.data!.acceptInvitation).toMatchObject({
        id: invitation.memberId,
        clientId: invitation.clientId,
        status: 'ACTIVE',
        keys: [{ kid: key.kid, alg: 'EdDSA', status: 'ACTIVE', publicJwk: { ...key.publicJwk, kid: key.kid, alg: 'EdDSA', use: 'sig' } }],
      });

      const token = await holder(invitation.clientId, key).token();
      const me = await ctx.gql<{ me: { id: string; name: string; role: string } }>(ME, {}, token);
      expect(me.errors).toBeUndefined();
      expect(me.data!.me).toMatchObject({ id: invitation.memberId, name: 'Lab One', role: 'MEMBER', status: 'ACTIVE' });

      const actions = (await ctx.prisma.auditEvent.findMany({ where: { targetId: invitation.memberId }, orderBy: { id: 'asc' } })).map(
        (e) => [e.action, e.actorLabel],
      );
      expect(actions).toEqual([
        ['invitation.created', admin.clientId],
        ['invitation.accepted', invitation.clientId],
      ]);
    });

    it('keeps only the SHA-256 of the invitation token, and no contact address in the audit log', async () => {
      const { invitationToken, invitation } = await invite('Hashed Lab');
      const row = await ctx.prisma.invitation.findUniqueOrThrow({ where: { id: invitation.id } });
      expect(Buffer.from(row.tokenHash).equals(createHash('sha256').update(invitationToken).digest())).toBe(true);
      const dump = JSON.stringify(await ctx.prisma.$queryRaw`SELECT * FROM invitations`, (_k, v: unknown) =>
        typeof v === 'bigint' ? v.toString() : v,
      );
      expect(dump).not.toContain(invitationToken);
      const entry = await ctx.prisma.auditEvent.findFirstOrThrow({
        where: { action: 'invitation.created', targetId: invitation.memberId },
      });
      expect(JSON.stringify(entry.details)).not.toContain('security@lab.example');
    });

    it('accepts P-256 keys too', async () => {
      const { invitationToken, invitation } = await invite('EC Lab');
      const key = await newKeyPair('ES256');
      expect((await accept(invitationToken, key.publicJwk)).data?.acceptInvitation.keys[0]).toMatchObject({ kid: key.kid, alg: 'ES256' });
      await holder(invitation.clientId, key).token();
    });

    it('refuses a used, an expired, an unknown and a malformed invitation token, each clearly', async () => {
      const used = await invite('Used Lab');
      expect((await accept(used.invitationToken, (await newKeyPair()).publicJwk)).errors).toBeUndefined();
      const again = await accept(used.invitationToken, (await newKeyPair()).publicJwk);
      expect(again.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVITATION_USED' });

      const expired = await invite('Late Lab', 1);
      await ctx.prisma.invitation.update({ where: { id: expired.invitation.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const late = await accept(expired.invitationToken, (await newKeyPair()).publicJwk);
      expect(late.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVITATION_EXPIRED' });
      expect(late.errors?.[0].message).toMatch(/expired/);
      expect((await ctx.prisma.member.findUniqueOrThrow({ where: { id: expired.invitation.memberId } })).status).toBe('INVITED');

      const unknown = await accept(`sfinv_${'B'.repeat(43)}`, (await newKeyPair()).publicJwk);
      expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVITATION_INVALID' });

      const malformed = await accept('not-a-token', (await newKeyPair()).publicJwk);
      expect(malformed.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(malformed.errors?.[0].extensions?.problems).toEqual([
        expect.objectContaining({ field: 'input.invitationToken', rule: 'matches' }),
      ]);
    });

    it('lets exactly one of two simultaneous acceptances win', async () => {
      const { invitationToken, invitation } = await invite('Race Lab');
      const [a, b] = await Promise.all([
        accept(invitationToken, (await newKeyPair()).publicJwk),
        accept(invitationToken, (await newKeyPair()).publicJwk),
      ]);
      expect([a, b].filter((r) => !r.errors)).toHaveLength(1);
      expect([a, b].find((r) => r.errors)?.errors?.[0].extensions?.reason).toBe('INVITATION_USED');
      expect(await ctx.prisma.memberKey.count({ where: { memberId: invitation.memberId } })).toBe(1);
    });

    it('refuses keys with private parts, weak or unsupported types, and invalid points, leaving the invitation usable', async () => {
      const { invitationToken, invitation } = await invite('Picky Lab');
      const ed = await newKeyPair();
      const ec = await newKeyPair('ES256');
      // A weak (1024-bit) RSA key: refused for its type, whatever its size.
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
      const cases: [unknown, RegExp][] = [
        [ed.privateJwk, /private key material \(d\)/],
        [ec.privateJwk, /private key material \(d\)/],
        [rsa, /RSA keys are not supported/],
        [{ kty: 'oct', k: 'c2VjcmV0' }, /private key material \(k\)/],
        [{ kty: 'oct' }, /symmetric/],
        [p384, /curve P-384 is not supported/],
        [{ kty: 'OKP', crv: 'X25519', x: ed.publicJwk.x }, /curve X25519 is not supported/],
        [{ ...ec.publicJwk, y: ec.publicJwk.x }, /not a valid public key/],
        [{ kty: 'OKP', crv: 'Ed25519', x: 'short' }, /x must be/],
        [{ ...ed.publicJwk, alg: 'ES256' }, /alg must be EdDSA/],
        [{ ...ed.publicJwk, use: 'enc' }, /use must be "sig"/],
        [{ ...ed.publicJwk, padding: 'x'.repeat(3000) }, /too large/],
      ];
      for (const [publicJwk, message] of cases) {
        const res = await accept(invitationToken, publicJwk);
        expect(res.errors?.[0].extensions?.code, JSON.stringify(publicJwk).slice(0, 80)).toBe('BAD_USER_INPUT');
        const [problem] = res.errors![0].extensions!.problems as { field: string; rule: string; message: string }[];
        expect(problem).toMatchObject({ field: 'input.publicJwk', rule: 'isPublicJwk' });
        expect(problem.message).toMatch(message);
      }
      const notObject = await accept(invitationToken, ['not', 'an', 'object']);
      expect(notObject.errors?.[0].message).toMatch(/JSONObject/);
      // None of that used the invitation up.
      expect((await accept(invitationToken, ed.publicJwk)).errors).toBeUndefined();
      expect((await ctx.prisma.member.findUniqueOrThrow({ where: { id: invitation.memberId } })).status).toBe('ACTIVE');
    });

    it('validates createInvitation input, naming each field', async () => {
      const res = await ctx.gql(CREATE, { i: { organizationName: ' ', contactEmail: 'nope', expiresInHours: 10_000 } }, adminToken);
      const fields = (res.errors?.[0].extensions?.problems as { field: string }[]).map((p) => p.field).sort();
      expect(fields).toEqual(['input.contactEmail', 'input.expiresInHours', 'input.organizationName']);
    });
  });

  describe('keys', () => {
    it('rotates: add a new key, use it, revoke the old one, and the old one is refused', async () => {
      const { invitationToken, invitation } = await invite('Rotating Lab');
      const oldKey = await newKeyPair();
      await accept(invitationToken, oldKey.publicJwk);
      const lab = holder(invitation.clientId, oldKey);
      const oldToken = await lab.token();

      const newKey = await newKeyPair('ES256');
      const added = await ctx.gql<{ addMemberKey: { kid: string } }>(ADD_KEY, { publicJwk: newKey.publicJwk }, oldToken);
      expect(added.data?.addMemberKey).toMatchObject({ kid: newKey.kid, alg: 'ES256', status: 'ACTIVE' });

      const newToken = await lab.token(newKey);
      const revoked = await ctx.gql(REVOKE_KEY, { kid: oldKey.kid }, newToken);
      expect(revoked.data?.revokeMemberKey).toMatchObject({ kid: oldKey.kid, status: 'REVOKED', revokedAt: expect.any(String) });

      // The old key can no longer authenticate, and its token stopped working at once.
      const refused = await ctx.requestToken(await lab.assertion(oldKey));
      expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
      expect((await ctx.gql(ME, {}, oldToken)).errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'KEY_REVOKED' });
      const me = await ctx.gql<{ me: { keys: { kid: string; status: string }[] } }>(ME, {}, newToken);
      expect(me.data?.me.keys.map((k) => [k.kid, k.status])).toEqual([
        [oldKey.kid, 'REVOKED'],
        [newKey.kid, 'ACTIVE'],
      ]);
      const audit = await ctx.prisma.auditEvent.findMany({ where: { targetId: { in: [oldKey.kid, newKey.kid] } }, orderBy: { id: 'asc' } });
      expect(audit.map((e) => [e.action, e.targetId])).toEqual([
        ['member_key.added', newKey.kid],
        ['member_key.revoked', oldKey.kid],
      ]);
    });

    it('refuses to revoke a member’s last active key, and a key twice', async () => {
      const lab = await ctx.newMember();
      const token = await lab.token();
      const last = await ctx.gql(REVOKE_KEY, { kid: lab.kid }, token);
      expect(last.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'LAST_ACTIVE_KEY' });
      const byAdmin = await ctx.gql(REVOKE_KEY, { kid: lab.kid }, adminToken);
      expect(byAdmin.errors?.[0].extensions?.reason).toBe('LAST_ACTIVE_KEY');
      expect((await ctx.prisma.memberKey.findUniqueOrThrow({ where: { kid: lab.kid } })).status).toBe(KeyStatus.ACTIVE);

      const spare = await newKeyPair();
      await ctx.gql(ADD_KEY, { publicJwk: spare.publicJwk }, token);
      expect((await ctx.gql(REVOKE_KEY, { kid: spare.kid }, token)).errors).toBeUndefined();
      expect((await ctx.gql(REVOKE_KEY, { kid: spare.kid }, token)).errors?.[0].extensions?.reason).toBe('KEY_ALREADY_REVOKED');
    });

    it('keeps members to their own keys; admins may revoke anyone’s', async () => {
      const a = await ctx.newMember();
      const b = await ctx.newMember();
      const aToken = await a.token();
      const bSpare = await newKeyPair();
      await ctx.gql(ADD_KEY, { publicJwk: bSpare.publicJwk }, await b.token());

      const foreign = await ctx.gql(REVOKE_KEY, { kid: bSpare.kid }, aToken);
      expect(foreign.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'KEY_NOT_FOUND' });
      expect((await ctx.prisma.memberKey.findUniqueOrThrow({ where: { kid: bSpare.kid } })).status).toBe(KeyStatus.ACTIVE);

      const byAdmin = await ctx.gql(REVOKE_KEY, { kid: bSpare.kid }, adminToken);
      expect(byAdmin.errors).toBeUndefined();
      const entry = await ctx.prisma.auditEvent.findFirstOrThrow({ where: { action: 'member_key.revoked', targetId: bSpare.kid } });
      expect(entry).toMatchObject({ actorMemberId: admin.id, details: { memberId: b.id, byAdmin: true } });
    });

    it('refuses a key registered already, and more than ten active keys', async () => {
      const lab = await ctx.newMember();
      const token = await lab.token();
      const duplicate = await ctx.gql(ADD_KEY, { publicJwk: lab.key.publicJwk }, token);
      expect(duplicate.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'KEY_ALREADY_REGISTERED' });
      for (let i = 0; i < 9; i++) {
        expect((await ctx.gql(ADD_KEY, { publicJwk: (await newKeyPair()).publicJwk }, token)).errors).toBeUndefined();
      }
      const eleventh = await ctx.gql(ADD_KEY, { publicJwk: (await newKeyPair()).publicJwk }, token);
      expect(eleventh.errors?.[0].extensions?.reason).toBe('TOO_MANY_KEYS');
    });
  });

  describe('suspension', () => {
    it('takes effect on a token already issued, and reinstatement restores access', async () => {
      const lab = await ctx.newMember();
      const token = await lab.token();
      expect((await ctx.gql(ME, {}, token)).errors).toBeUndefined();

      const suspended = await ctx.gql(SUSPEND, { id: lab.id, reason: 'leaked indicators' }, adminToken, {
        'x-request-id': 'req-suspend-1',
      });
      expect(suspended.data?.suspendMember).toMatchObject({ id: lab.id, status: 'SUSPENDED', suspendedReason: 'leaked indicators' });

      expect((await ctx.gql(ME, {}, token)).errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'MEMBER_NOT_ACTIVE' });
      expect((await ctx.requestToken(await lab.assertion())).status).toBe(400);

      const entry = await ctx.prisma.auditEvent.findFirstOrThrow({ where: { action: 'member.suspended', targetId: lab.id } });
      expect(entry).toMatchObject({
        actorMemberId: admin.id,
        actorLabel: admin.clientId,
        requestId: 'req-suspend-1',
        details: { reason: 'leaked indicators' },
      });

      const reinstated = await ctx.gql(REINSTATE, { id: lab.id }, adminToken);
      expect(reinstated.data?.reinstateMember).toMatchObject({ status: 'ACTIVE', suspendedAt: null });
      expect((await ctx.gql(ME, {}, token)).errors).toBeUndefined();
      expect(await ctx.prisma.auditEvent.count({ where: { action: 'member.reinstated', targetId: lab.id } })).toBe(1);
    });

    it('refuses suspending oneself, a member not active, an unknown member, and reinstating an active one', async () => {
      const self = await ctx.gql(SUSPEND, { id: admin.id, reason: 'oops' }, adminToken);
      expect(self.errors?.[0].extensions?.reason).toBe('CANNOT_SUSPEND_SELF');
      const invited = await ctx.newMember({ status: MemberStatus.INVITED });
      expect((await ctx.gql(SUSPEND, { id: invited.id, reason: 'x' }, adminToken)).errors?.[0].extensions).toMatchObject({
        code: 'CONFLICT',
        reason: 'MEMBER_NOT_ACTIVE',
      });
      const unknown = await ctx.gql(SUSPEND, { id: '00000000-0000-4000-8000-000000000000', reason: 'x' }, adminToken);
      expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      const active = await ctx.newMember();
      expect((await ctx.gql(REINSTATE, { id: active.id }, adminToken)).errors?.[0].extensions?.reason).toBe('MEMBER_NOT_SUSPENDED');
      const badId = await ctx.gql(SUSPEND, { id: 'nope', reason: '' }, adminToken);
      expect((badId.errors?.[0].extensions?.problems as { field: string }[]).map((p) => p.field).sort()).toEqual(['id', 'reason']);
    });
  });

  describe('the members connection', () => {
    const PAGE = `query($first: Int, $after: String) {
      members(first: $first, after: $after) { edges { cursor node { id name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
    }`;
    type Page = {
      members: { edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    };

    it('pages through every member exactly once, oldest first', async () => {
      for (let i = 0; i < 5; i++) await ctx.newMember();
      const expected = (await ctx.prisma.member.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map((m) => m.id);
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const res: Awaited<ReturnType<typeof ctx.gql<Page>>> = await ctx.gql<Page>(PAGE, { first: 3, after }, adminToken);
        expect(res.errors).toBeUndefined();
        const page = res.data!.members;
        seen.push(...page.edges.map((e) => e.node.id));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen).toEqual(expected);
      const all = await ctx.gql<Page>('{ members { edges { cursor } pageInfo { hasNextPage } } }', {}, adminToken);
      expect(all.data!.members.edges).toHaveLength(Math.min(20, expected.length));
    });

    it('bounds `first` and validates `after`, naming the argument', async () => {
      for (const first of [0, 101, -1]) {
        const res = await ctx.gql(PAGE, { first }, adminToken);
        expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
        expect(res.errors?.[0].extensions?.problems).toEqual([expect.objectContaining({ field: 'first' })]);
      }
      const auditCursor = Buffer.from(JSON.stringify(['audit', '1'])).toString('base64url');
      for (const after of ['garbage!', 'bm90IGpzb24', auditCursor, Buffer.from(JSON.stringify(['members', 'x'])).toString('base64url')]) {
        const res = await ctx.gql(PAGE, { after }, adminToken);
        expect(res.errors?.[0].extensions?.problems, after).toEqual([expect.objectContaining({ field: 'after', rule: 'cursor' })]);
      }
    });
  });
});
