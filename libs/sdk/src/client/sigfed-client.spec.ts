import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TEST_FEDERATION_KEY_HEX } from '../federation-key.js';
import { SigfedApiError, SigfedNetworkError, SigfedSubmitError } from './errors.js';
import { templateSignature } from '../minhash.js';
import { hashAndBuild } from './hash-and-build.js';
import type { Alert, IndicatorInput } from './operations.js';
import { SigfedClient, type SigfedClientOptions } from './sigfed-client.js';
import { CLIENT_ASSERTION_TYPE } from './token.js';

type Algorithm = 'EdDSA' | 'ES256';

interface Member {
  clientId: string;
  privateJwk: JWK;
  publicJwk: JWK;
  kid: string;
  alg: Algorithm;
}

async function newMember(alg: Algorithm = 'EdDSA'): Promise<Member> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const publicJwk = await exportJWK(publicKey);
  return {
    clientId: `member-${randomUUID()}`,
    privateJwk: await exportJWK(privateKey),
    publicJwk,
    kid: await calculateJwkThumbprint(publicJwk),
    alg,
  };
}

interface GraphQLRequest {
  authorization: string | undefined;
  raw: string;
  query: string;
  variables: Record<string, unknown>;
}

// 'reset' drops the connection unanswered; 'process-then-reset' does the work first, as a
// server does when the connection breaks while the answer is on its way.
type Answer = { status?: number; headers?: Record<string, string>; json: unknown } | 'reset';
type Reply = Answer | 'process-then-reset';

/**
 * Plays the Sigfed server on 127.0.0.1: a token endpoint that verifies client assertions with
 * jose, and a /graphql endpoint that answers the member operations (with an idempotency
 * store for submissions). `intercept` lets a test answer a request differently.
 */
class FakeSigfed {
  issuer = '';
  url = '';
  readonly members = new Map<string, Member>();
  readonly problems: string[] = [];
  readonly assertions: { header: Record<string, unknown>; claims: Record<string, unknown>; contentType?: string }[] = [];
  readonly graphqlRequests: GraphQLRequest[] = [];
  readonly validTokens = new Set<string>();
  readonly alerts: Alert[] = [];
  expiresIn = 300;
  intercept?: (request: GraphQLRequest, index: number) => Reply | undefined;
  private readonly jtis = new Set<string>();
  private readonly submissions = new Map<
    string,
    { hash: string; result: { submissionId: string; accepted: number; duplicates: number } }
  >();
  private readonly stored = new Set<string>();
  private server?: Server;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.issuer ||= this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  get tokenRequests(): number {
    return this.assertions.length;
  }

  submitRequests(): GraphQLRequest[] {
    return this.graphqlRequests.filter((r) => r.query.includes('submitIndicators'));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const reply = req.url === '/oauth/token' ? await this.token(req, raw) : this.graphql(req, raw);
    if (reply === 'reset') {
      req.socket.destroy();
      return;
    }
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.json));
  }

  private async token(req: IncomingMessage, raw: string): Promise<Answer> {
    const form = new URLSearchParams(raw);
    const assertion = form.get('client_assertion') ?? '';
    if (form.get('grant_type') !== 'client_credentials') this.problems.push(`grant_type ${form.get('grant_type')}`);
    if (form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE) this.problems.push('client_assertion_type');
    const refuse = (why: string): Answer => ({ status: 401, json: { error: 'invalid_client', error_description: why } });
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(assertion) as Record<string, unknown>;
      claims = decodeJwt(assertion) as Record<string, unknown>;
    } catch {
      return refuse('malformed assertion');
    }
    this.assertions.push({ header, claims, contentType: req.headers['content-type'] });
    const member = this.members.get(String(claims.iss));
    if (!member) return refuse('unknown client');
    try {
      await jwtVerify(assertion, await importJWK(member.publicJwk, member.alg), {
        issuer: member.clientId,
        subject: member.clientId,
        audience: this.issuer,
        algorithms: [member.alg],
        requiredClaims: ['jti', 'iat', 'exp'],
      });
    } catch (error) {
      this.problems.push(`assertion: ${(error as Error).message}`);
      return refuse((error as Error).message);
    }
    if (header.kid !== member.kid) this.problems.push(`kid ${String(header.kid)} is not the key thumbprint`);
    const exp = Number(claims.exp);
    if (exp - Number(claims.iat) > 300 || exp - Date.now() / 1000 > 300) this.problems.push('assertion lives longer than 5 minutes');
    if (this.jtis.has(String(claims.jti))) this.problems.push('jti replayed');
    this.jtis.add(String(claims.jti));
    const accessToken = randomUUID();
    this.validTokens.add(accessToken);
    return { json: { access_token: accessToken, token_type: 'Bearer', expires_in: this.expiresIn } };
  }

  private graphql(req: IncomingMessage, raw: string): Answer {
    const body = JSON.parse(raw) as { query: string; variables?: Record<string, unknown> };
    const request = { authorization: req.headers.authorization, raw, query: body.query, variables: body.variables ?? {} };
    this.graphqlRequests.push(request);
    const intercepted = this.intercept?.(request, this.graphqlRequests.length - 1);
    if (intercepted === 'process-then-reset') {
      this.answer(request);
      return 'reset';
    }
    return intercepted ?? this.answer(request);
  }

  private answer(request: GraphQLRequest): Answer {
    if (request.query.includes('serverInfo'))
      return { json: { data: { serverInfo: { issuer: this.issuer, time: new Date().toISOString() } } } };
    const token = request.authorization?.replace(/^Bearer /, '');
    if (!token || !this.validTokens.has(token)) {
      return { json: { errors: [{ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }], data: null } };
    }
    if (request.query.includes('submitIndicators')) return { json: { data: { submitIndicators: this.submit(request.variables) } } };
    if (request.query.includes('submitTemplateSignatures')) {
      const { signatures } = request.variables.input as { signatures: unknown[] };
      return { json: { data: { submitTemplateSignatures: { submissionId: randomUUID(), accepted: signatures.length, duplicates: 0 } } } };
    }
    if (request.query.includes('retractIndicators')) {
      const { tokens } = request.variables.input as { tokens: string[] };
      return { json: { data: { retractIndicators: { retracted: tokens.length } } } };
    }
    if (request.query.includes('alerts(')) return { json: { data: { alerts: this.page(request.variables) } } };
    return { json: { data: { ping: 'pong' } } };
  }

  private submit(variables: Record<string, unknown>) {
    const { idempotencyKey, indicators } = variables.input as { idempotencyKey: string; indicators: IndicatorInput[] };
    const hash = createHash('sha256').update(JSON.stringify(indicators)).digest('hex');
    const earlier = this.submissions.get(idempotencyKey);
    if (earlier) {
      if (earlier.hash !== hash) this.problems.push(`idempotency key ${idempotencyKey} reused for another payload`);
      return earlier.result;
    }
    let accepted = 0;
    for (const item of indicators) {
      const id = `${item.type}:${item.keyEpoch}:${item.token}`;
      if (!this.stored.has(id)) accepted++;
      this.stored.add(id);
    }
    const result = { submissionId: randomUUID(), accepted, duplicates: indicators.length - accepted };
    this.submissions.set(idempotencyKey, { hash, result });
    return result;
  }

  private page(variables: Record<string, unknown>) {
    const first = Number(variables.first);
    const start = variables.after ? Number(Buffer.from(String(variables.after), 'base64url').toString()) + 1 : 0;
    const nodes = this.alerts.slice(start, start + first);
    const cursor = (i: number) => Buffer.from(String(i)).toString('base64url');
    return {
      edges: nodes.map((node, i) => ({ cursor: cursor(start + i), node })),
      pageInfo: { hasNextPage: start + first < this.alerts.length, endCursor: nodes.length ? cursor(start + nodes.length - 1) : null },
    };
  }
}

const FAST_RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2000 };

let fake: FakeSigfed;
let member: Member;

beforeEach(async () => {
  fake = new FakeSigfed();
  await fake.start();
  member = await newMember();
  fake.members.set(member.clientId, member);
});

afterEach(async () => {
  vi.useRealTimers();
  await fake.stop();
  // Problems the fake server saw with what the client sent (claims, kid, replayed jti...).
  expect(fake.problems).toEqual([]);
});

function client(overrides: Partial<SigfedClientOptions> = {}, who: Member = member): SigfedClient {
  return new SigfedClient({ baseUrl: fake.url, clientId: who.clientId, privateJwk: who.privateJwk, retry: FAST_RETRY, ...overrides });
}

function indicators(count: number, epoch = '2026-q4'): IndicatorInput[] {
  return Array.from({ length: count }, (_, i) => ({
    type: 'ACCOUNT_SIGNAL' as const,
    token: createHash('sha256').update(`t${i}`).digest('hex'),
    keyEpoch: epoch,
  }));
}

describe('SigfedClient authentication', () => {
  it.each(['EdDSA', 'ES256'] as const)('gets an access token with a %s private_key_jwt assertion the server verifies', async (alg) => {
    const signer = await newMember(alg);
    fake.members.set(signer.clientId, signer);
    // A trailing slash on baseUrl must not leak into the audience.
    const c = new SigfedClient({ baseUrl: `${fake.url}/`, clientId: signer.clientId, privateJwk: signer.privateJwk, retry: FAST_RETRY });
    expect(await c.graphql('query { ping }')).toEqual({ ping: 'pong' });

    expect(fake.tokenRequests).toBe(1);
    const [{ header, claims, contentType }] = fake.assertions;
    expect(contentType).toBe('application/x-www-form-urlencoded');
    expect(header).toEqual({ alg, kid: signer.kid });
    expect(claims).toMatchObject({ iss: signer.clientId, sub: signer.clientId, aud: fake.url });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(60);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.graphqlRequests[0].authorization).toMatch(/^Bearer [0-9a-f-]{36}$/);
    expect(fake.validTokens.has(fake.graphqlRequests[0].authorization!.slice('Bearer '.length))).toBe(true);
  });

  it('uses the configured issuer as the audience when it differs from the address', async () => {
    fake.issuer = 'https://sigfed.example';
    await client({ issuer: 'https://sigfed.example/' }).graphql('query { ping }');
    expect(fake.assertions[0].claims.aud).toBe('https://sigfed.example');
  });

  it('signs every token request with a fresh jti', async () => {
    const c = client();
    await c.graphql('query { ping }');
    fake.validTokens.clear();
    await c.graphql('query { ping }');
    expect(fake.tokenRequests).toBe(2);
    expect(fake.assertions[0].claims.jti).not.toBe(fake.assertions[1].claims.jti);
  });

  it('caches the token and refreshes it 30 s before it expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T12:00:00Z'));
    const c = client();
    await c.graphql('query { ping }');
    await c.graphql('query { ping }');
    vi.setSystemTime(new Date('2026-12-01T12:04:29Z')); // expires_in 300: 31 s left
    await c.graphql('query { ping }');
    expect(fake.tokenRequests).toBe(1);
    vi.setSystemTime(new Date('2026-12-01T12:04:31Z')); // 29 s left: due
    await c.graphql('query { ping }');
    expect(fake.tokenRequests).toBe(2);
    const tokens = new Set(fake.graphqlRequests.map((r) => r.authorization));
    expect(tokens.size).toBe(2);
  });

  it('hands out the cached token through getAccessToken, the one its own calls send', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T12:00:00Z'));
    const c = client();
    const token = await c.getAccessToken();
    expect(fake.validTokens.has(token)).toBe(true);
    await c.graphql('query { ping }');
    expect(fake.graphqlRequests[0].authorization).toBe(`Bearer ${token}`);
    vi.setSystemTime(new Date('2026-12-01T12:04:29Z'));
    expect(await c.getAccessToken()).toBe(token);
    expect(fake.tokenRequests).toBe(1);
    vi.setSystemTime(new Date('2026-12-01T12:04:31Z'));
    expect(await c.getAccessToken()).not.toBe(token);
    expect(fake.tokenRequests).toBe(2);
  });

  it('shares one token request among concurrent calls', async () => {
    const c = client();
    await Promise.all(Array.from({ length: 5 }, () => c.graphql('query { ping }')));
    expect(fake.tokenRequests).toBe(1);
    expect(fake.graphqlRequests).toHaveLength(5);
  });

  it('refreshes the token once and retries when the server answers UNAUTHENTICATED', async () => {
    const c = client();
    await c.graphql('query { ping }');
    fake.validTokens.clear(); // e.g. revoked by the server
    expect(await c.graphql('query { ping }')).toEqual({ ping: 'pong' });
    expect(fake.tokenRequests).toBe(2);
    expect(fake.graphqlRequests.map((r) => r.authorization)).toEqual([
      fake.graphqlRequests[0].authorization,
      fake.graphqlRequests[0].authorization,
      fake.graphqlRequests[2].authorization,
    ]);
    expect(fake.graphqlRequests[2].authorization).not.toBe(fake.graphqlRequests[0].authorization);
  });

  it('gives up when a fresh token is refused too', async () => {
    fake.intercept = () => ({ json: { errors: [{ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }] } });
    const failure = client().graphql('query { ping }');
    await expect(failure).rejects.toThrow(SigfedApiError);
    await expect(failure).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(fake.tokenRequests).toBe(2);
    expect(fake.graphqlRequests).toHaveLength(2);
  });

  it('reports a refused client assertion without retrying it', async () => {
    const stranger = await newMember('ES256'); // not registered with the fake server
    const failure = client({}, stranger).graphql('query { ping }');
    await expect(failure).rejects.toMatchObject({ name: 'SigfedApiError', code: 'invalid_client', status: 401 });
    await expect(failure).rejects.toThrow('token request refused (invalid_client): unknown client');
    expect(fake.tokenRequests).toBe(1);
    expect(fake.graphqlRequests).toHaveLength(0);
  });

  it('refuses keys it cannot sign with before sending anything', () => {
    expect(() => client({ privateJwk: { kty: 'RSA', n: 'x', e: 'AQAB', d: 'y' } })).toThrow(/unsupported member key/);
    expect(() => client({ privateJwk: member.publicJwk })).toThrow(/no private part/);
  });

  it('reads serverInfo without a token', async () => {
    expect(await client().serverInfo()).toMatchObject({ issuer: fake.url });
    expect(fake.graphqlRequests[0].authorization).toBeUndefined();
    expect(fake.tokenRequests).toBe(0);
  });
});

describe('SigfedClient.graphql', () => {
  it('throws SigfedApiError carrying the GraphQL errors and their codes', async () => {
    const errors = [{ message: 'Forbidden', path: ['alerts'], extensions: { code: 'FORBIDDEN' } }];
    fake.intercept = () => ({ json: { errors, data: null } });
    const failure = client().graphql('query { alerts { edges { cursor } } }');
    await expect(failure).rejects.toMatchObject({ errors, code: 'FORBIDDEN', status: 200, message: 'Forbidden (FORBIDDEN)' });
    expect(fake.graphqlRequests).toHaveLength(1);
  });

  it('reports a server that cannot be reached after the retries', async () => {
    const url = fake.url;
    await fake.stop();
    const c = new SigfedClient({ baseUrl: url, clientId: 'x', privateJwk: member.privateJwk, retry: FAST_RETRY });
    await expect(c.serverInfo()).rejects.toThrow(SigfedNetworkError);
    await expect(c.serverInfo()).rejects.toThrow(/^cannot reach http:\/\/127\.0\.0\.1:\d+\/graphql: ECONNREFUSED$/);
  });
});

describe('SigfedClient.submitIndicators', () => {
  it('splits into batches, each with the idempotency key <prefix>:<index>, and adds up the results', async () => {
    const progress: unknown[] = [];
    const items = indicators(2500);
    const totals = await client().submitIndicators(items, {
      batchSize: 1000,
      idempotencyKeyPrefix: 'nightly-2026-12-01',
      onProgress: (p) => progress.push(p),
    });

    const sent = fake.submitRequests();
    expect(sent.map((r) => (r.variables.input as { idempotencyKey: string }).idempotencyKey)).toEqual([
      'nightly-2026-12-01:0',
      'nightly-2026-12-01:1',
      'nightly-2026-12-01:2',
    ]);
    expect(sent.map((r) => (r.variables.input as { indicators: unknown[] }).indicators.length)).toEqual([1000, 1000, 500]);
    expect(sent.flatMap((r) => (r.variables.input as { indicators: IndicatorInput[] }).indicators)).toEqual(items);
    // Values travel as variables; the document is the fixed one.
    expect(sent[0].query).toContain('mutation Submit($input: SubmitIndicatorsInput!)');
    expect(sent[0].query).not.toContain(items[0].token);
    expect(totals).toEqual({
      batches: 3,
      accepted: 2500,
      duplicates: 0,
      submissionIds: expect.any(Array),
      idempotencyKeyPrefix: 'nightly-2026-12-01',
    });
    expect(new Set(totals.submissionIds).size).toBe(3);
    expect(progress).toEqual([
      { batch: 1, batches: 3, sent: 1000, total: 2500, accepted: 1000, duplicates: 0 },
      { batch: 2, batches: 3, sent: 2000, total: 2500, accepted: 2000, duplicates: 0 },
      { batch: 3, batches: 3, sent: 2500, total: 2500, accepted: 2500, duplicates: 0 },
    ]);
  });

  it('defaults to batches of 1000 under a fresh random prefix per call', async () => {
    const c = client();
    const first = await c.submitIndicators(indicators(1001));
    const second = await c.submitIndicators(indicators(10));
    expect(first.batches).toBe(2);
    expect(first.idempotencyKeyPrefix).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.idempotencyKeyPrefix).not.toBe(first.idempotencyKeyPrefix);
    expect(second).toMatchObject({ batches: 1, accepted: 0, duplicates: 10 });
  });

  it('retries a batch answered 503 with Retry-After, after the asked delay and with the same key and bytes', async () => {
    fake.intercept = (request, index) =>
      index === 1 ? { status: 503, headers: { 'retry-after': '1' }, json: { errors: [{ message: 'Service Unavailable' }] } } : undefined;
    const started = Date.now();
    const totals = await client().submitIndicators(indicators(3), { batchSize: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    const sent = fake.submitRequests();
    expect(sent).toHaveLength(3);
    expect(sent[2].raw).toBe(sent[1].raw);
    expect((sent[1].variables.input as { idempotencyKey: string }).idempotencyKey).toBe(`${totals.idempotencyKeyPrefix}:1`);
    expect(totals).toMatchObject({ batches: 2, accepted: 3 });
  });

  it('retries a batch whose connection was reset, storing it once', async () => {
    // The reset comes after the server has read the batch: exactly when a blind retry would double it.
    fake.intercept = (request, index) => (index === 0 ? 'process-then-reset' : undefined);
    const totals = await client().submitIndicators(indicators(5));
    expect(fake.submitRequests()).toHaveLength(2);
    expect(fake.submitRequests()[1].raw).toBe(fake.submitRequests()[0].raw);
    expect(totals).toMatchObject({ batches: 1, accepted: 5, duplicates: 0 });
  });

  // 400 is how GraphQL variable coercion refuses input; the validation pipe's errors come with 200.
  it.each([400, 200])('never retries BAD_USER_INPUT (HTTP %i) and reports what the earlier batches stored', async (status) => {
    fake.intercept = (request, index) =>
      index === 1
        ? {
            status,
            json: { errors: [{ message: 'indicators.0.expiresAt must be in the future', extensions: { code: 'BAD_USER_INPUT' } }] },
          }
        : undefined;
    const failure = client().submitIndicators(indicators(4), { batchSize: 2, idempotencyKeyPrefix: 'import-0001' });
    await expect(failure).rejects.toThrow(SigfedSubmitError);
    const error = (await failure.catch((e: unknown) => e)) as SigfedSubmitError;
    expect(error.failedBatch).toBe(1);
    expect(error.completed).toMatchObject({ batches: 1, accepted: 2, duplicates: 0, idempotencyKeyPrefix: 'import-0001' });
    expect(error.cause).toMatchObject({ name: 'SigfedApiError', code: 'BAD_USER_INPUT', status });
    expect(error.message).toBe('batch 2 failed: indicators.0.expiresAt must be in the future (BAD_USER_INPUT)');
    expect(fake.submitRequests()).toHaveLength(2);
  });

  it('gives up after the configured attempts, and a call with the same prefix resumes without storing twice', async () => {
    let outage = true;
    fake.intercept = (request, index) => (outage && index >= 1 ? { status: 502, json: 'Bad Gateway' } : undefined);
    const items = indicators(6);
    const error = (await client()
      .submitIndicators(items, { batchSize: 2 })
      .catch((e: unknown) => e)) as SigfedSubmitError;
    expect(error).toBeInstanceOf(SigfedSubmitError);
    expect(error.cause).toMatchObject({ status: 502 });
    expect(fake.submitRequests()).toHaveLength(1 + FAST_RETRY.attempts);

    outage = false;
    const resumed = await client().submitIndicators(items, { batchSize: 2, idempotencyKeyPrefix: error.completed.idempotencyKeyPrefix });
    expect(resumed.accepted).toBe(6);
    expect(resumed.duplicates).toBe(0);
    expect(resumed.submissionIds[0]).toBe(error.completed.submissionIds[0]);
  });

  it('checks every item and the options before sending anything', async () => {
    const c = client();
    const bad = [...indicators(3), { type: 'ACCOUNT_SIGNAL' as const, token: 'A'.repeat(64), keyEpoch: '2026-q4' }];
    await expect(c.submitIndicators(bad)).rejects.toThrow('indicators[3].token is not 64 lowercase hex characters');
    await expect(c.submitIndicators(indicators(1), { batchSize: 10_001 })).rejects.toThrow(RangeError);
    await expect(c.submitIndicators(indicators(1), { idempotencyKeyPrefix: 'a b' })).rejects.toThrow(RangeError);
    expect(await c.submitIndicators([])).toMatchObject({ batches: 0, accepted: 0, submissionIds: [] });
    expect(fake.graphqlRequests).toHaveLength(0);
  });

  it('submits what hashAndBuild produced from raw rows', async () => {
    const { indicators: built } = hashAndBuild(TEST_FEDERATION_KEY_HEX, '2026-q4', [
      { type: 'IP_RANGE', value: '203.0.112.0/23', confidence: 90 },
    ]);
    await client().submitIndicators(built);
    const [sent] = fake.submitRequests();
    expect((sent.variables.input as { indicators: unknown[] }).indicators).toEqual([
      { type: 'IP_RANGE', token: expect.stringMatching(/^[0-9a-f]{64}$/), keyEpoch: '2026-q4', confidence: 90 },
      { type: 'IP_RANGE', token: 'be74cf44de479e8b11b7d49eb126bb67a937fa9fcf38192bfc715496844ff857', keyEpoch: '2026-q4', confidence: 90 },
    ]);
  });
});

describe('SigfedClient.submitTemplateSignatures', () => {
  const bands = templateSignature(TEST_FEDERATION_KEY_HEX, 'You are a helpful assistant. Answer every question in detail.').bands;

  it('sends every signature in one call under the given idempotency key, as variables', async () => {
    const signatures = [
      { keyEpoch: '2026-q4', bands, confidence: 80, externalRef: 'tpl-1' },
      { keyEpoch: '2026-q4', bands: [...bands].reverse(), discloseIdentity: true },
    ];
    const result = await client().submitTemplateSignatures({ idempotencyKey: 'templates-2026-12-01', signatures });
    expect(result).toEqual({ submissionId: expect.any(String), accepted: 2, duplicates: 0 });
    const [sent] = fake.graphqlRequests;
    expect(fake.graphqlRequests).toHaveLength(1);
    expect(sent.query).toContain('mutation SubmitTemplateSignatures($input: SubmitTemplateSignaturesInput!)');
    expect(sent.query).not.toContain(bands[0]);
    expect(sent.variables.input).toEqual({ idempotencyKey: 'templates-2026-12-01', signatures });
  });

  it('draws a random idempotency key when none is given', async () => {
    await client().submitTemplateSignatures({ signatures: [{ keyEpoch: '2026-q4', bands }] });
    expect((fake.graphqlRequests[0].variables.input as { idempotencyKey: string }).idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('checks every signature and the key before sending anything', async () => {
    const c = client();
    await expect(c.submitTemplateSignatures({ signatures: [{ keyEpoch: '2026-q4', bands: bands.slice(1) }] })).rejects.toThrow(
      'signatures[0].bands must hold exactly 32 band tokens',
    );
    await expect(
      c.submitTemplateSignatures({
        signatures: [
          { keyEpoch: '2026-q4', bands },
          { keyEpoch: '2026-q4', bands: [...bands.slice(1), 'A'.repeat(64)] },
        ],
      }),
    ).rejects.toThrow('signatures[1].bands[31] is not 64 lowercase hex characters');
    await expect(c.submitTemplateSignatures({ signatures: [{ keyEpoch: 'Q4 2026', bands }] })).rejects.toThrow(RangeError);
    await expect(c.submitTemplateSignatures({ idempotencyKey: 'short', signatures: [] })).rejects.toThrow(RangeError);
    expect(fake.graphqlRequests).toHaveLength(0);
  });
});

describe('SigfedClient.retractIndicators', () => {
  it('sends the tokens as variables, in chunks of at most 10,000, and adds up what was retracted', async () => {
    const tokens = indicators(10_001).map((i) => i.token);
    expect(await client().retractIndicators({ type: 'ACCOUNT_SIGNAL', keyEpoch: '2026-q4', tokens })).toEqual({ retracted: 10_001 });
    expect(fake.graphqlRequests.map((r) => (r.variables.input as { tokens: string[] }).tokens.length)).toEqual([10_000, 1]);
    expect(fake.graphqlRequests[0].query).toContain('mutation Retract($input: RetractIndicatorsInput!)');
    expect(fake.graphqlRequests[0].variables.input).toMatchObject({ type: 'ACCOUNT_SIGNAL', keyEpoch: '2026-q4' });
  });
});

describe('SigfedClient.alerts', () => {
  const alert = (i: number): Alert => ({
    id: `alert-${i}`,
    status: 'OPEN',
    version: 1,
    type: 'IP_RANGE',
    keyEpoch: '2026-q4',
    token: 'a'.repeat(64),
    externalRef: null,
    otherHolderCount: 1,
    firstSeenAt: '2026-12-01T00:00:00.000Z',
    lastSeenAt: '2026-12-01T00:00:00.000Z',
    disclosedHolders: [],
    verdictCounts: { confirmedAbuse: 0, falsePositive: 0, underReview: 0 },
    verdict: null,
    verdictNote: null,
    acknowledgedAt: null,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    closedAt: null,
    closeReason: null,
    lastObservedOn: '2026-12-01',
    priority: 16,
    matchKind: 'EXACT',
    similarity: null,
  });

  it('pages through the connection with first/after and the filter as variables', async () => {
    fake.alerts.push(...Array.from({ length: 5 }, (_, i) => alert(i)));
    const seen: string[] = [];
    for await (const a of client().alerts({ pageSize: 2, filter: { status: 'OPEN', since: new Date('2026-11-01T00:00:00Z') } }))
      seen.push(a.id);
    expect(seen).toEqual(['alert-0', 'alert-1', 'alert-2', 'alert-3', 'alert-4']);
    expect(fake.graphqlRequests.map((r) => [r.variables.first, r.variables.after])).toEqual([
      [2, null],
      [2, fake.graphqlRequests[1].variables.after],
      [2, fake.graphqlRequests[2].variables.after],
    ]);
    expect(fake.graphqlRequests[0].variables.filter).toEqual({ status: 'OPEN', since: '2026-11-01T00:00:00.000Z' });
    expect(fake.graphqlRequests[0].query).toContain(
      'query Alerts($first: Int, $after: String, $filter: AlertFilter, $orderBy: AlertOrder)',
    );
  });

  it('fetches the next page only when the loop asks for it', async () => {
    fake.alerts.push(...Array.from({ length: 5 }, (_, i) => alert(i)));
    for await (const a of client().alerts({ pageSize: 2 })) {
      if (a.id === 'alert-1') break;
    }
    expect(fake.graphqlRequests).toHaveLength(1);
  });

  it('refuses a page size the server would refuse', async () => {
    await expect(client().alerts({ pageSize: 101 }).next()).rejects.toThrow('pageSize must be an integer from 1 to 100');
  });
});
