import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientAssertionVerifier, ClientAuthFailure } from '@app/auth';
import { KeyStatus, MemberStatus } from '@app/database';
import { TestContext, type TestMember } from '../support/context.js';
import { compactJws, decodeParts, newKeyPair, postTokenForm, type TestKeyPair } from '../support/oauth.js';

const REFUSED = { error: 'invalid_client', error_description: 'client authentication failed' };
const now = () => Math.floor(Date.now() / 1000);

describe('POST /oauth/token', () => {
  let ctx: TestContext;
  // A jku/x5u target that counts requests: the server must never call it.
  let trap: Server;
  let trapUrl: string;
  let trapHits = 0;

  beforeAll(async () => {
    // A high burst threshold: refusals here must leave the audit log untouched.
    ctx = await TestContext.start({ AUTH_FAILURE_BURST_THRESHOLD: '1000' });
    trap = createServer((_req, res) => {
      trapHits += 1;
      res.end('{"keys":[]}');
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(async () => {
    await ctx?.close();
    await new Promise((resolve) => trap?.close(resolve));
  });

  const auditCount = () => ctx.prisma.auditEvent.count();
  const lastUsed = async (kid: string) => (await ctx.prisma.memberKey.findUniqueOrThrow({ where: { kid } })).lastUsedAt;

  /**
   * Refused with the generic invalid_client answer and nothing changed: no
   * audit entry, the key's last use as before, and (when `jti` is given) the
   * jti still unused, so a correct assertion with it then succeeds.
   */
  async function expectRefusedWithoutSideEffect(member: TestMember, assertion: string, jti?: string, extra?: Record<string, string>) {
    const auditBefore = await auditCount();
    const usedBefore = await lastUsed(member.kid);
    const answer = await ctx.requestToken(assertion, extra);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(REFUSED);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(await auditCount()).toBe(auditBefore);
    expect(await lastUsed(member.kid)).toEqual(usedBefore);
    if (jti) {
      const retry = await ctx.requestToken(await member.assertion({ jti }));
      expect(retry.status).toBe(200);
    }
  }

  describe('issues tokens', () => {
    it('answers a valid EdDSA assertion with a short-lived Bearer token that verifies against the JWKS', async () => {
      const member = await ctx.newMember();
      const answer = await ctx.requestToken(await member.assertion());
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('pragma')).toBe('no-cache');
      expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });

      const token = answer.body.access_token!;
      const { header, payload } = decodeParts(token);
      expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
      expect(payload).toMatchObject({
        iss: ctx.issuer,
        aud: ctx.issuer,
        sub: member.id,
        client_id: member.clientId,
        role: 'MEMBER',
        key_id: member.kid,
      });
      expect(payload.jti).toEqual(expect.any(String));
      expect((payload.exp as number) - (payload.iat as number)).toBe(900);

      // What a member does to check a token the server signed.
      const jwks = (await (await fetch(`${ctx.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
      const verified = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: ctx.issuer, audience: ctx.issuer, typ: 'at+jwt' });
      expect(verified.payload.sub).toBe(member.id);
      expect(await lastUsed(member.kid)).toBeInstanceOf(Date);
    });

    it('accepts ES256 keys and a matching client_id parameter', async () => {
      const member = await ctx.newMember({ alg: 'ES256' });
      const answer = await ctx.requestToken(await member.assertion(), { client_id: member.clientId });
      expect(answer.status).toBe(200);
    });

    it('ignores a jku header on a valid assertion and never fetches it', async () => {
      const member = await ctx.newMember();
      const answer = await ctx.requestToken(await member.assertion({}, { jku: trapUrl, x5u: trapUrl }));
      expect(answer.status).toBe(200);
      expect(trapHits).toBe(0);
    });

    it('issues tokens with the configured lifetime', async () => {
      const short = await TestContext.start({ ACCESS_TOKEN_TTL_SECONDS: '120' });
      try {
        const member = await short.newMember();
        const answer = await short.requestToken(await member.assertion());
        expect(answer.body.expires_in).toBe(120);
        const { payload } = decodeParts(answer.body.access_token!);
        expect((payload.exp as number) - (payload.iat as number)).toBe(120);
      } finally {
        await short.close();
      }
    });
  });

  describe('refuses, with no side effect', () => {
    it('an assertion with alg "none"', async () => {
      const member = await ctx.newMember();
      const claims = { iss: member.clientId, sub: member.clientId, aud: ctx.issuer, iat: now(), exp: now() + 60 };
      await expectRefusedWithoutSideEffect(member, compactJws({ alg: 'none', kid: member.kid }, { ...claims, jti: 'n1' }), 'n1');
      await expectRefusedWithoutSideEffect(member, compactJws({ alg: 'none' }, { ...claims, jti: 'n2' }), 'n2');
      await expectRefusedWithoutSideEffect(member, compactJws({ alg: 'none', kid: member.kid }, { ...claims, jti: 'n3' }, 'AAAA'), 'n3');
    });

    it('an assertion signed HS256 with the public key as the secret', async () => {
      const member = await ctx.newMember();
      const jti = 'jti-hs256';
      const claims = { iss: member.clientId, sub: member.clientId, aud: ctx.issuer, jti };
      const secrets = [
        new TextEncoder().encode(JSON.stringify(member.key.publicJwk)),
        Buffer.from(member.key.publicJwk.x!, 'base64url'),
        new TextEncoder().encode(member.key.publicJwk.x!),
      ];
      for (const [i, secret] of secrets.entries()) {
        const forged = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: member.kid })
          .setIssuedAt()
          .setExpirationTime('1m')
          .sign(secret);
        // The last refusal also proves the jti was not consumed by the others.
        await expectRefusedWithoutSideEffect(member, forged, i === secrets.length - 1 ? jti : undefined);
      }
    });

    it('algorithms outside the allowlist, and an allowed one that is not the key’s', async () => {
      const member = await ctx.newMember();
      for (const alg of ['RS256', 'PS256', 'ES384'] as const) {
        const pair = await generateKeyPair(alg, { extractable: true });
        const other: TestKeyPair = {
          alg: 'EdDSA',
          kid: member.kid,
          privateJwk: { ...(await exportJWK(pair.privateKey)), alg },
          publicJwk: {},
        };
        const forged = await new SignJWT({ iss: member.clientId, sub: member.clientId, aud: ctx.issuer, jti: `jti-${alg}` })
          .setProtectedHeader({ alg, kid: other.kid })
          .setIssuedAt()
          .setExpirationTime('1m')
          .sign(pair.privateKey);
        await expectRefusedWithoutSideEffect(member, forged, `jti-${alg}`);
      }
      // ES256 is allowed in general, but this member's key is EdDSA.
      const es = await newKeyPair('ES256');
      await expectRefusedWithoutSideEffect(
        member,
        await member.assertion({ jti: 'jti-es256' }, { kid: member.kid }, { ...es, kid: member.kid }),
        'jti-es256',
      );
    });

    it('a wrong audience: another URL, the token endpoint URL, an array, or none', async () => {
      const member = await ctx.newMember();
      const audiences: (string | string[] | undefined)[] = [
        'https://other.example',
        `${ctx.issuer}/oauth/token`,
        `${ctx.issuer}/`,
        [ctx.issuer, 'https://other.example'],
        [ctx.issuer],
        undefined,
      ];
      for (const [i, aud] of audiences.entries()) {
        await expectRefusedWithoutSideEffect(member, await member.assertion({ aud, jti: `jti-aud-${i}` }), `jti-aud-${i}`);
      }
    });

    it('an expired assertion, one issued in the future, and one without iat or exp', async () => {
      const member = await ctx.newMember();
      await expectRefusedWithoutSideEffect(member, await member.assertion({ iat: now() - 200, exp: now() - 100, jti: 'j1' }), 'j1');
      await expectRefusedWithoutSideEffect(member, await member.assertion({ iat: now() + 120, jti: 'j2' }), 'j2');
      await expectRefusedWithoutSideEffect(member, await member.assertion({ iat: undefined, jti: 'j3' }), 'j3');
      await expectRefusedWithoutSideEffect(member, await member.assertion({ exp: undefined, jti: 'j4' }), 'j4');
    });

    it('an assertion whose exp is more than 5 minutes (plus 30 s skew) ahead', async () => {
      const member = await ctx.newMember();
      await expectRefusedWithoutSideEffect(member, await member.assertion({ exp: now() + 3600, jti: 'far' }), 'far');
      await expectRefusedWithoutSideEffect(member, await member.assertion({ exp: now() + 340, jti: 'near' }), 'near');
      expect((await ctx.requestToken(await member.assertion({ exp: now() + 290 }))).status).toBe(200);
    });

    it('an assertion without a jti, or with an oversized one', async () => {
      const member = await ctx.newMember();
      await expectRefusedWithoutSideEffect(member, await member.assertion({ jti: undefined }));
      await expectRefusedWithoutSideEffect(member, await member.assertion({ jti: 'x'.repeat(300) }));
    });

    it('a replayed jti, sent again later', async () => {
      const member = await ctx.newMember();
      const assertion = await member.assertion();
      expect((await ctx.requestToken(assertion)).status).toBe(200);
      const again = await ctx.requestToken(assertion);
      expect(again.status).toBe(400);
      expect(again.body).toEqual(REFUSED);
      // A new assertion reusing the jti within its lifetime is a replay too.
      const { payload } = decodeParts(assertion);
      expect((await ctx.requestToken(await member.assertion({ jti: payload.jti as string }))).status).toBe(400);
    });

    it('a replayed jti arriving concurrently: exactly one copy wins', async () => {
      const member = await ctx.newMember();
      const assertion = await member.assertion();
      const answers = await Promise.all(Array.from({ length: 8 }, () => ctx.requestToken(assertion)));
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 400 && a.body.error === 'invalid_client')).toHaveLength(7);
    });

    it('an assertion signed by a revoked key', async () => {
      const member = await ctx.newMember();
      await ctx.prisma.memberKey.update({ where: { kid: member.kid }, data: { status: KeyStatus.REVOKED, revokedAt: new Date() } });
      const auditBefore = await auditCount();
      const answer = await ctx.requestToken(await member.assertion());
      expect(answer).toMatchObject({ status: 400, body: REFUSED });
      expect(await auditCount()).toBe(auditBefore);
      expect(await lastUsed(member.kid)).toBeNull();
    });

    it('an assertion from a suspended or not yet active member', async () => {
      for (const status of [MemberStatus.SUSPENDED, MemberStatus.INVITED]) {
        const member = await ctx.newMember({ status });
        await expectRefusedWithoutSideEffect(member, await member.assertion());
      }
    });

    it('member A’s assertion claiming member B’s client id', async () => {
      const a = await ctx.newMember();
      const b = await ctx.newMember();
      await expectRefusedWithoutSideEffect(a, await a.assertion({ iss: b.clientId, sub: b.clientId, jti: 'ab1' }), 'ab1');
      await expectRefusedWithoutSideEffect(a, await a.assertion({ iss: b.clientId, jti: 'ab2' }), 'ab2');
      await expectRefusedWithoutSideEffect(a, await a.assertion({ sub: b.clientId, jti: 'ab3' }), 'ab3');
      // B's kid in the header, signed with A's key.
      await expectRefusedWithoutSideEffect(b, await b.assertion({ jti: 'ab4' }, {}, { ...a.key, kid: b.kid }), 'ab4');
      // A's valid assertion sent with client_id=B.
      await expectRefusedWithoutSideEffect(a, await a.assertion({ jti: 'ab5' }), 'ab5', { client_id: b.clientId });
    });

    it('a kid with path or SQL characters, before any lookup', async () => {
      const member = await ctx.newMember();
      const verifier = ctx.app.get(ClientAssertionVerifier);
      const kids = ['../../etc/passwd', "x' OR '1'='1", 'a;DROP TABLE member_keys;--', '%2e%2e%2f', 'k'.repeat(65), ''];
      for (const kid of kids) {
        const assertion = await member.assertion({}, { kid });
        await expectRefusedWithoutSideEffect(member, assertion);
        const failure = await verifier.verify(assertion).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(ClientAuthFailure);
        expect((failure as ClientAuthFailure).reason).toBe('kid_malformed');
      }
      expect(await ctx.prisma.memberKey.count({ where: { kid: member.kid } })).toBe(1);
    });

    it('an attacker’s own key offered through jku or an embedded jwk header, without fetching anything', async () => {
      const member = await ctx.newMember();
      const attacker = await newKeyPair();
      // The attacker's kid: unknown here, whatever jku says.
      await expectRefusedWithoutSideEffect(member, await member.assertion({ jti: 'jku1' }, { jku: trapUrl }, attacker), 'jku1');
      // The member's kid, the attacker's signature and public key embedded.
      await expectRefusedWithoutSideEffect(
        member,
        await member.assertion({ jti: 'jku2' }, { kid: member.kid, jwk: attacker.publicJwk, jku: trapUrl, x5u: trapUrl }, attacker),
        'jku2',
      );
      expect(trapHits).toBe(0);
    });

    it('an assertion with an altered payload', async () => {
      const member = await ctx.newMember();
      const [header, , signature] = (await member.assertion({ jti: 'alt' })).split('.');
      const payload = Buffer.from(
        JSON.stringify({ iss: member.clientId, sub: member.clientId, aud: ctx.issuer, jti: 'alt', iat: now(), exp: now() + 120 }),
      ).toString('base64url');
      await expectRefusedWithoutSideEffect(member, `${header}.${payload}.${signature}`, 'alt');
    });

    it('anything that is not a compact JWS', async () => {
      const member = await ctx.newMember();
      for (const junk of ['x', 'a.b', 'a.b.c.d.e', 'é.é.é', `${'a'.repeat(9000)}.b.c`]) {
        await expectRefusedWithoutSideEffect(member, junk);
      }
    });
  });

  describe('request errors (RFC 6749 section 5.2)', () => {
    it('explains missing and wrong parameters without authenticating', async () => {
      const member = await ctx.newMember();
      const assertion = await member.assertion();
      const cases: [Record<string, string>, string, RegExp][] = [
        [{ client_assertion: assertion }, 'invalid_request', /grant_type is required/],
        [{ grant_type: 'password', client_assertion: assertion }, 'unsupported_grant_type', /client_credentials/],
        [{ grant_type: 'client_credentials' }, 'invalid_request', /client_assertion/],
        [
          { grant_type: 'client_credentials', client_assertion_type: 'urn:other', client_assertion: assertion },
          'invalid_request',
          /jwt-bearer/,
        ],
      ];
      for (const [form, error, description] of cases) {
        const answer = await postTokenForm(ctx.url, form);
        expect(answer.status).toBe(400);
        expect(answer.body.error).toBe(error);
        expect(answer.body.error_description).toMatch(description);
      }
      // None of those consumed the assertion.
      expect((await ctx.requestToken(assertion)).status).toBe(200);
    });

    it('refuses JSON bodies and repeated parameters', async () => {
      const member = await ctx.newMember();
      const json = await fetch(`${ctx.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials', client_assertion: await member.assertion() }),
      });
      expect(json.status).toBe(400);
      expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
      const body = `grant_type=client_credentials&grant_type=client_credentials&client_assertion=x`;
      const repeated = await fetch(`${ctx.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect(repeated.status).toBe(400);
      expect(await repeated.json()).toEqual({ error: 'invalid_request', error_description: 'grant_type must be given once' });
    });
  });

  describe('discovery', () => {
    it('publishes the current signing key, public part only', async () => {
      const res = await fetch(`${ctx.url}/.well-known/jwks.json`);
      expect(res.status).toBe(200);
      const { keys } = (await res.json()) as JSONWebKeySet;
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: expect.any(String) });
      expect(keys[0]).not.toHaveProperty('d');
      const current = await ctx.prisma.signingKey.findFirstOrThrow({ where: { status: 'CURRENT' } });
      expect(keys[0].kid).toBe(current.kid);
    });

    it('describes itself as an RFC 8414 authorization server', async () => {
      const res = await fetch(`${ctx.url}/.well-known/oauth-authorization-server`);
      expect(await res.json()).toEqual({
        issuer: ctx.issuer,
        token_endpoint: `${ctx.issuer}/oauth/token`,
        jwks_uri: `${ctx.issuer}/.well-known/jwks.json`,
        response_types_supported: [],
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['Ed25519', 'EdDSA', 'ES256'],
      });
    });
  });
});

describe('failure bursts', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await TestContext.start({ AUTH_FAILURE_BURST_THRESHOLD: '3' });
  });
  afterAll(async () => ctx?.close());

  it('records one audit entry when a client id passes the threshold within a minute, not one per failure', async () => {
    const member = await ctx.newMember();
    const bursts = () => ctx.prisma.auditEvent.findMany({ where: { action: 'auth.token_failure_burst', targetId: member.clientId } });
    for (let i = 0; i < 3; i++) await ctx.requestToken(await member.assertion({ aud: 'https://wrong.example' }));
    expect(await bursts()).toHaveLength(0);
    for (let i = 0; i < 4; i++) await ctx.requestToken(await member.assertion({ aud: 'https://wrong.example' }));
    const entries = await bursts();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actorLabel: 'system',
      targetType: 'client',
      details: { failures: 4, threshold: 3, windowSeconds: 60 },
    });
    // Another client's failures are counted apart.
    const other = await ctx.newMember();
    await ctx.requestToken(await other.assertion({ exp: Math.floor(Date.now() / 1000) - 100 }));
    expect(await ctx.prisma.auditEvent.count({ where: { action: 'auth.token_failure_burst', targetId: other.clientId } })).toBe(0);
  });
});
