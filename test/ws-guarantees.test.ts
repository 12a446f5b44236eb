import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeyService } from '@app/auth';
import { TestContext, type TestMember } from './support/context.js';
import { newKeyPair } from './support/oauth.js';
import { WsConnection, type WsAnswer } from './support/subscriber.js';
import { until } from './support/wait.js';

const ALERT_EVENTS = 'subscription { alertEvents { type occurredAt alert { id version status } } }';
const SUBMIT = 'mutation($input: SubmitIndicatorsInput!) { submitIndicators(input: $input) { submissionId accepted } }';
const ADD_KEY = 'mutation($jwk: JSONObject!) { addMemberKey(publicJwk: $jwk) { kid } }';

const codesOf = (answer: WsAnswer) => (answer.errors ?? []).map((e) => e.extensions?.code);

describe('graphql-ws connections', () => {
  let api: TestContext;
  const connections: WsConnection[] = [];
  const connect = async (ctx: TestContext, token: string) => {
    const connection = await WsConnection.open(ctx, token);
    connections.push(connection);
    return connection;
  };

  /** A token like the token endpoint issues, but expiring at `exp` (seconds). */
  const tokenExpiringAt = async (member: TestMember, exp: number) => {
    const { kid, key } = await api.app.get(SigningKeyService).signer();
    return new SignJWT({ client_id: member.clientId, role: 'MEMBER', key_id: member.kid })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
      .setIssuer(api.issuer)
      .setAudience(api.issuer)
      .setSubject(member.id)
      .setJti(randomUUID())
      .setIssuedAt(exp - 2)
      .setExpirationTime(exp)
      .sign(key);
  };

  beforeAll(async () => {
    // The default recheck (30 s): closing within a second must not come from it.
    api = await TestContext.start();
  });
  afterAll(async () => {
    for (const c of connections) await c.dispose().catch(() => undefined);
    await api?.close();
  });

  it('closes the socket of a member suspended through the API within a second (4403), refusing what it sends meanwhile', async () => {
    const admin = await api.newAdmin();
    const member = await api.newMember();
    const socket = await connect(api, await member.token());
    expect((await socket.run(ALERT_EVENTS)).kind).toBe('pending');

    const suspended = await api.gql(
      'mutation($id: ID!) { suspendMember(id: $id, reason: "ws test") { status } }',
      { id: member.id },
      await admin.token(),
    );
    expect(suspended.errors).toBeUndefined();
    const suspendedAt = Date.now();
    const meanwhile = await socket.run(ALERT_EVENTS, {}, 1_500);
    expect(meanwhile.kind).not.toBe('pending');
    expect(meanwhile.data ?? null).toBeNull();
    if (meanwhile.kind !== 'closed')
      expect(meanwhile.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'MEMBER_NOT_ACTIVE' });

    await until(() => socket.closed !== undefined, 'closed after suspension', 2_000);
    expect(socket.closed!.code).toBe(4403);
    expect(socket.closed!.at - suspendedAt).toBeLessThan(1_000);
  });

  it('closes the socket of a token whose key was revoked within a second (4403)', async () => {
    const member = await api.newMember();
    const first = await member.token();
    const second = await newKeyPair();
    const added = await api.gql(ADD_KEY, { jwk: second.publicJwk }, first);
    expect(added.errors).toBeUndefined();
    const socket = await connect(api, first);

    const revoked = await api.gql(
      'mutation($kid: String!) { revokeMemberKey(kid: $kid) { status } }',
      { kid: member.kid },
      await member.token(second),
    );
    expect(revoked.errors).toBeUndefined();
    const revokedAt = Date.now();
    await until(() => socket.closed !== undefined, 'closed after revocation', 2_000);
    expect(socket.closed!.code).toBe(4403);
    expect(socket.closed!.at - revokedAt).toBeLessThan(1_000);
  });

  it('closes every socket at its token expiry (4401), also one that never subscribed', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await tokenExpiringAt(await api.newMember(), exp);
    const socket = await connect(api, token);
    expect(socket.closed).toBeUndefined();
    await until(() => socket.closed !== undefined, 'closed at expiry', 4_000);
    expect(socket.closed).toMatchObject({ code: 4401, reason: 'access token expired' });
    expect(socket.closed!.at).toBeLessThan(exp * 1000 + 1_000);
  });

  it('refuses an expired or forged token when connecting (4401)', async () => {
    const forged = await connect(api, 'not.a.token');
    expect(forged.closed?.code).toBe(4401);
    // Expired a second ago: within the servers' clock tolerance, still refused.
    const expired = await connect(api, await tokenExpiringAt(await api.newMember(), Math.floor(Date.now() / 1000) - 1));
    expect(expired.closed).toMatchObject({ code: 4401, reason: 'access token expired' });
  });

  it('refuses queries and mutations: a socket serves subscriptions only', async () => {
    const member = await api.newMember();
    const socket = await connect(api, await member.token());
    const indicator = { type: 'ACCOUNT_SIGNAL', keyEpoch: '2026-q4', token: 'ab'.repeat(32) };
    const answers = [
      await socket.run('{ me { id } }'),
      await socket.run(SUBMIT, { input: { idempotencyKey: `ws-${randomUUID()}`, indicators: [indicator] } }),
      await socket.run(ADD_KEY, { jwk: (await newKeyPair()).publicJwk }),
    ];
    for (const answer of answers) {
      expect(answer.kind).toBe('error');
      expect(codesOf(answer)).toEqual(['OPERATION_NOT_ALLOWED_OVER_WEBSOCKET']);
      expect(answer.data).toBeUndefined();
    }
    expect(await api.db.memberKey.count({ where: { memberId: member.id } })).toBe(1);
    expect(await api.db.submission.count({ where: { memberId: member.id } })).toBe(0);
    expect(socket.closed).toBeUndefined();
  });
});

describe('graphql-ws validation in production', () => {
  let prod: TestContext;
  const connections: WsConnection[] = [];
  const connect = async (token: string) => {
    const connection = await WsConnection.open(prod, token);
    connections.push(connection);
    return connection;
  };

  beforeAll(async () => {
    prod = await TestContext.start({ NODE_ENV: 'production', RATE_LIMIT_POINTS: '200' });
  });
  afterAll(async () => {
    for (const c of connections) await c.dispose().catch(() => undefined);
    await prod?.close();
  });

  it('refuses introspection and gives no field suggestions', async () => {
    const socket = await connect(await (await prod.newMember()).token());
    const intro = await socket.run('{ __schema { types { name } } }');
    expect(intro.kind).toBe('error');
    expect(intro.errors?.[0].message).toMatch(/introspection/i);
    expect(JSON.stringify(intro)).not.toContain('AlertEvent');

    const typo = await socket.run('subscription { alertEvent { type } }');
    expect(typo.kind).toBe('error');
    expect(typo.errors?.[0].message).toMatch(/Cannot query field/);
    expect(JSON.stringify(typo)).not.toMatch(/Did you mean/);
  });

  it('refuses a subscription over the alias limit', async () => {
    const socket = await connect(await (await prod.newMember()).token());
    const aliases = Array.from({ length: 500 }, (_, i) => `a${i}: type`).join(' ');
    const answer = await socket.run(`subscription { alertEvents { ${aliases} } }`);
    expect(answer.kind).toBe('error');
    expect(answer.errors?.[0].extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'aliases', max: 30, actual: 500 });
  });

  it("charges each subscription's cost to the member's budget, until RATE_LIMITED, from the budget HTTP uses", async () => {
    const member = await prod.newMember();
    const token = await member.token();
    const socket = await connect(token);
    // 30 aliased scalars: a cost of about 36 against a budget of 200 points.
    const costly = `subscription { alertEvents { ${Array.from({ length: 30 }, (_, i) => `t${i}: type`).join(' ')} alert { id version status } } }`;
    let refused: WsAnswer | undefined;
    let accepted = 0;
    for (let i = 0; i < 20 && !refused; i++) {
      const answer = await socket.run(costly, {}, 300);
      if (answer.kind === 'pending') accepted++;
      else refused = answer;
    }
    expect(accepted).toBeGreaterThanOrEqual(4);
    expect(accepted).toBeLessThanOrEqual(6);
    expect(codesOf(refused!)).toContain('RATE_LIMITED');
    const cost = refused!.errors![0].extensions!.cost as number;
    expect(cost).toBeGreaterThan(30);
    // The same budget as over HTTP: what the socket spent is gone there too.
    const http = await prod.gql('{ me { id } }', {}, token);
    expect((http.extensions?.rateLimit as { remaining: number }).remaining).toBeLessThan(200 - accepted * cost);
  });
});
