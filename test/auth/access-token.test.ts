import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMBER_STATE_MAX_AGE_MS, MemberStateCache, SigningKeyService } from '@app/auth';
import { KeyStatus } from '@app/database';
import { TestContext, type GqlResponse, type TestMember } from '../support/context.js';
import { compactJws, decodeParts, newKeyPair } from '../support/oauth.js';

const ME = '{ me { id clientId role } }';
const now = () => Math.floor(Date.now() / 1000);

/** The error code and reason of a refused operation. */
function refusal(res: GqlResponse): { code: unknown; reason: unknown } | undefined {
  const error = res.errors?.[0];
  return error && { code: error.extensions?.code, reason: error.extensions?.reason };
}

describe('access tokens on GraphQL', () => {
  let ctx: TestContext;
  let member: TestMember;
  let token: string;

  beforeAll(async () => {
    ctx = await TestContext.start();
    member = await ctx.newMember();
    token = await member.token();
  });
  afterAll(async () => ctx?.close());

  /** A token signed with the server's own current key, with these claims and header. */
  async function serverSigned(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
    const { kid, key } = await ctx.app.get(SigningKeyService).signer();
    const base = {
      iss: ctx.issuer,
      aud: ctx.issuer,
      sub: member.id,
      client_id: member.clientId,
      role: 'MEMBER',
      key_id: member.kid,
      jti: randomUUID(),
      iat: now(),
      exp: now() + 600,
    };
    return new SignJWT({ ...base, ...claims }).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid, ...header }).sign(key);
  }

  it('lets a valid token through', async () => {
    const res = await ctx.gql<{ me: { id: string } }>(ME, {}, token);
    expect(res.errors).toBeUndefined();
    expect(res.data?.me.id).toBe(member.id);
  });

  it('refuses a call without a token, or with another scheme', async () => {
    expect(refusal(await ctx.gql(ME))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
    const basic = await fetch(`${ctx.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      body: JSON.stringify({ query: ME }),
    });
    const body = (await basic.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token whose payload was altered (role raised to ADMIN)', async () => {
    const [header, , signature] = token.split('.');
    const { payload } = decodeParts(token);
    const altered = Buffer.from(JSON.stringify({ ...payload, role: 'ADMIN' })).toString('base64url');
    const forged = `${header}.${altered}.${signature}`;
    expect(refusal(await ctx.gql(ME, {}, forged))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
    expect(refusal(await ctx.gql('{ members { edges { cursor } } }', {}, forged))?.code).toBe('UNAUTHENTICATED');
    // A refused mutation changes nothing.
    const keysBefore = await ctx.prisma.memberKey.count();
    const auditBefore = await ctx.prisma.auditEvent.count();
    const add = await ctx.gql(
      'mutation($jwk: JSONObject!) { addMemberKey(publicJwk: $jwk) { kid } }',
      { jwk: (await newKeyPair()).publicJwk },
      forged,
    );
    expect(refusal(add)?.code).toBe('UNAUTHENTICATED');
    expect(await ctx.prisma.memberKey.count()).toBe(keysBefore);
    expect(await ctx.prisma.auditEvent.count()).toBe(auditBefore);
  });

  it('refuses a server-signed token of the wrong type', async () => {
    for (const typ of ['JWT', 'jwt', 'dpop+jwt']) {
      expect(refusal(await ctx.gql(ME, {}, await serverSigned({}, { typ }))), typ).toEqual({
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_INVALID',
      });
    }
    // Without any typ header.
    const { kid, key } = await ctx.app.get(SigningKeyService).signer();
    const untyped = await new SignJWT({ ...decodeParts(token).payload }).setProtectedHeader({ alg: 'EdDSA', kid }).sign(key);
    expect(refusal(await ctx.gql(ME, {}, untyped))?.reason).toBe('TOKEN_INVALID');
    // The control: the same helper with the right type passes.
    expect((await ctx.gql(ME, {}, await serverSigned({}))).errors).toBeUndefined();
  });

  it('refuses a server-signed token from another issuer or for another audience', async () => {
    for (const claims of [{ iss: 'https://other.example' }, { aud: 'https://other.example' }, { iss: `${ctx.issuer}/` }]) {
      expect(refusal(await ctx.gql(ME, {}, await serverSigned(claims)))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
    }
  });

  it('refuses a token not signed by a published server key', async () => {
    const attacker = await newKeyPair();
    const { kid } = await ctx.app.get(SigningKeyService).signer();
    const payload = decodeParts(token).payload;
    for (const headerKid of [kid, attacker.kid]) {
      const forged = await new SignJWT(payload)
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: headerKid })
        .sign(await importJWK(attacker.privateJwk, 'EdDSA'));
      expect(refusal(await ctx.gql(ME, {}, forged))?.reason).toBe('TOKEN_INVALID');
    }
    expect(refusal(await ctx.gql(ME, {}, compactJws({ alg: 'none', typ: 'at+jwt', kid }, payload)))?.reason).toBe('TOKEN_INVALID');
  });

  it('refuses a client assertion offered as an access token', async () => {
    expect(refusal(await ctx.gql(ME, {}, await member.assertion()))?.reason).toBe('TOKEN_INVALID');
  });

  it('refuses an expired token, saying so', async () => {
    const expired = await serverSigned({ iat: now() - 1000, exp: now() - 60 });
    expect(refusal(await ctx.gql(ME, {}, expired))).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });
  });

  it('refuses a token naming another member’s key', async () => {
    const other = await ctx.newMember();
    expect(refusal(await ctx.gql(ME, {}, await serverSigned({ key_id: other.kid })))?.reason).toBe('TOKEN_INVALID');
  });

  it('refuses the token of a revoked key at once when the change is announced, as the services do', async () => {
    const holder = await ctx.newMember();
    const issued = await holder.token();
    expect((await ctx.gql(ME, {}, issued)).errors).toBeUndefined();
    await ctx.prisma.memberKey.update({ where: { kid: holder.kid }, data: { status: KeyStatus.REVOKED, revokedAt: new Date() } });
    await ctx.app.get(MemberStateCache).changed(holder.id);
    expect(refusal(await ctx.gql(ME, {}, issued))).toEqual({ code: 'UNAUTHENTICATED', reason: 'KEY_REVOKED' });
  });

  it('refuses the token of a key revoked behind the API (plain SQL) within the cache bound', async () => {
    const holder = await ctx.newMember();
    const issued = await holder.token();
    expect((await ctx.gql(ME, {}, issued)).errors).toBeUndefined();
    const revokedAt = Date.now();
    await ctx.prisma.memberKey.update({ where: { kid: holder.kid }, data: { status: KeyStatus.REVOKED, revokedAt: new Date() } });
    let answer = await ctx.gql(ME, {}, issued);
    while (!answer.errors && Date.now() - revokedAt < MEMBER_STATE_MAX_AGE_MS + 1_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await ctx.gql(ME, {}, issued);
    }
    expect(refusal(answer)).toEqual({ code: 'UNAUTHENTICATED', reason: 'KEY_REVOKED' });
    expect(Date.now() - revokedAt).toBeLessThan(MEMBER_STATE_MAX_AGE_MS + 1_000);
  });
});

describe('authorization', () => {
  let ctx: TestContext;
  let memberToken: string;
  let adminToken: string;
  let other: TestMember;

  beforeAll(async () => {
    ctx = await TestContext.start();
    memberToken = await (await ctx.newMember()).token();
    adminToken = await (await ctx.newAdmin()).token();
    other = await ctx.newMember();
  });
  afterAll(async () => ctx?.close());

  const adminOperations: [string, string, Record<string, unknown>][] = [
    ['members', '{ members { edges { node { id } } } }', {}],
    ['auditLog', '{ auditLog { edges { node { id } } } }', {}],
    [
      'createInvitation',
      'mutation($i: CreateInvitationInput!) { createInvitation(input: $i) { invitationToken } }',
      { i: { organizationName: 'X', contactEmail: 'x@example.org' } },
    ],
    ['suspendMember', 'mutation($id: ID!, $reason: String!) { suspendMember(id: $id, reason: $reason) { id } }', {}],
    ['reinstateMember', 'mutation($id: ID!) { reinstateMember(id: $id) { id } }', {}],
  ];

  it.each(adminOperations)('%s: FORBIDDEN to members, UNAUTHENTICATED without a token, allowed to admins', async (name, query, vars) => {
    const variables = name === 'suspendMember' ? { id: other.id, reason: 'test' } : name === 'reinstateMember' ? { id: other.id } : vars;
    const asMember = await ctx.gql(query, variables, memberToken);
    expect(asMember.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'ROLE_REQUIRED' });
    expect(asMember.data).toBeNull();
    const anonymous = await ctx.gql(query, variables);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const asAdmin = await ctx.gql(query, variables, adminToken);
    expect(asAdmin.errors).toBeUndefined();
  });

  it('nothing changed through the refused calls', async () => {
    const invited = await ctx.prisma.member.count({ where: { name: 'X' } });
    // Only the admin's createInvitation and suspension above went through.
    expect(invited).toBe(1);
  });

  it('member operations need a token but no role', async () => {
    for (const query of [
      '{ me { id } }',
      'mutation { addMemberKey(publicJwk: { kty: "OKP" }) { kid } }',
      'mutation { revokeMemberKey(kid: "abc") { kid } }',
    ]) {
      expect((await ctx.gql(query)).errors?.[0].extensions?.code, query).toBe('UNAUTHENTICATED');
    }
  });

  it('public operations need no token', async () => {
    const res = await ctx.gql<{ serverInfo: { issuer: string } }>('{ serverInfo { issuer } }');
    expect(res.data?.serverInfo.issuer).toBe(ctx.issuer);
    const accept = await ctx.gql('mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { id } }', {
      i: { invitationToken: `sfinv_${'A'.repeat(43)}`, publicJwk: (await newKeyPair()).publicJwk },
    });
    // Reaches the service (no authentication error): the token is simply unknown.
    expect(accept.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVITATION_INVALID' });
  });
});
