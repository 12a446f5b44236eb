import { webcrypto } from 'node:crypto';
import { decodeProtectedHeader, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientAssertionVerifier, ClientAuthFailure } from '@app/auth';
import { TestContext, type TestMember } from '../support/context.js';
import { newKeyPair } from '../support/oauth.js';

/**
 * A lab with its own OAuth 2.0 client library, not the SDK: openid-client 6 (the current major)
 * discovers the server from its issuer through RFC 8414 metadata and runs the client_credentials
 * grant with private_key_jwt, for each key type the server accepts. Only documented options are
 * used; `allowInsecureRequests` is there because the test server is plain http on loopback.
 */
describe('stock OAuth clients', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await TestContext.start();
  });
  afterAll(async () => ctx?.close());

  /** The member's private key as WebCrypto holds it: how a lab's own code would load it. */
  async function cryptoKey(member: TestMember): Promise<webcrypto.CryptoKey> {
    const { kty, crv, x, y, d } = member.privateJwk;
    const jwk: JWK = kty === 'EC' ? { kty, crv, x, y, d } : { kty, crv, x, d };
    const algorithm = kty === 'EC' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' };
    return webcrypto.subtle.importKey('jwk', jwk as webcrypto.JsonWebKey, algorithm, false, ['sign']);
  }

  /** Discovery by issuer, as openid-client does it for a plain OAuth 2.0 server. */
  async function discover(member: TestMember, sent: string[] = [], withKid = true): Promise<oidc.Configuration> {
    const key = await cryptoKey(member);
    const config = await oidc.discovery(
      new URL(ctx.issuer),
      member.clientId,
      undefined,
      // `kid` is the key's RFC 7638 thumbprint, as onboarding printed it. Without one, the server
      // takes the client's only active key of the assertion's algorithm.
      oidc.PrivateKeyJwt(withKid ? { key, kid: member.kid } : key),
      { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] },
    );
    config[oidc.customFetch] = async (url, options) => {
      if (typeof options.body === 'string' || options.body instanceof URLSearchParams) {
        const assertion = new URLSearchParams(options.body.toString()).get('client_assertion');
        if (assertion) sent.push(assertion);
      }
      return fetch(url, options as RequestInit);
    };
    return config;
  }

  it('discovers the server from its issuer through /.well-known/oauth-authorization-server', async () => {
    const config = await discover(await ctx.newMember());
    expect(config.serverMetadata()).toMatchObject({
      issuer: ctx.issuer,
      token_endpoint: `${ctx.issuer}/oauth/token`,
      jwks_uri: `${ctx.issuer}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['Ed25519', 'EdDSA', 'ES256'],
    });
  });

  it.each([
    ['Ed25519', 'EdDSA', 'Ed25519'],
    ['P-256', 'ES256', 'ES256'],
  ] as const)('gets a token with a %s key (registered %s, signed %s) and uses it on /graphql', async (_curve, registered, signed) => {
    const member = await ctx.newMember({ alg: registered });
    const sent: string[] = [];
    const config = await discover(member, sent);

    const tokens = await oidc.clientCredentialsGrant(config);
    expect(tokens.token_type?.toLowerCase()).toBe('bearer');
    expect(tokens.expiresIn()).toBeGreaterThan(0);
    // openid-client picks the algorithm from the key: Ed25519 keys sign with RFC 9864's name.
    expect(sent.map((assertion) => decodeProtectedHeader(assertion).alg)).toEqual([signed]);

    const answer = await oidc.fetchProtectedResource(
      config,
      tokens.access_token,
      new URL(`${ctx.url}/graphql`),
      'POST',
      JSON.stringify({ query: '{ me { clientId } }' }),
      new Headers({ 'content-type': 'application/json' }),
    );
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ data: { me: { clientId: member.clientId } } });
  });

  it.each(['EdDSA', 'ES256'] as const)('gets a token without a kid header when the member has one active %s key', async (alg) => {
    const member = await ctx.newMember({ alg });
    const sent: string[] = [];
    const tokens = await oidc.clientCredentialsGrant(await discover(member, sent, false));
    expect(decodeProtectedHeader(sent[0])).not.toHaveProperty('kid');
    const me = await ctx.gql<{ me: { clientId: string } }>('{ me { clientId } }', {}, tokens.access_token);
    expect(me.data?.me.clientId).toBe(member.clientId);
  });

  it('needs the kid once a member has two active keys of that type, and signs with either', async () => {
    const member = await ctx.newMember();
    const second = await newKeyPair('EdDSA');
    await ctx.db.memberKey.create({
      data: {
        memberId: member.id,
        kid: second.kid,
        alg: second.alg,
        publicJwk: { ...second.publicJwk, kid: second.kid, alg: second.alg, use: 'sig' },
      },
    });
    const withoutKid = await member.assertion({}, { kid: undefined });
    expect((await ctx.requestToken(withoutKid)).body).toMatchObject({ error: 'invalid_client' });
    const failure = await ctx.app
      .get(ClientAssertionVerifier)
      .verify(await member.assertion({}, { kid: undefined }))
      .catch((error: unknown) => error);
    expect((failure as ClientAuthFailure).reason).toBe('kid_ambiguous');
    expect((await ctx.requestToken(await member.assertion())).status).toBe(200);
    expect((await ctx.requestToken(await member.assertion({}, {}, second))).status).toBe(200);
  });

  it('refuses an Ed25519-named assertion signed by a P-256 key', async () => {
    const member = await ctx.newMember({ alg: 'ES256' });
    const other = await ctx.newMember();
    const assertion = await member.assertion({}, { alg: 'Ed25519', kid: member.kid }, { ...other.key, kid: member.kid });
    const answer = await ctx.requestToken(assertion);
    expect(answer.body).toMatchObject({ error: 'invalid_client' });
  });
});
