import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { JWK } from 'jose';
import { loadConfig, type AppConfig } from '@app/config';
import { MemberRole, MemberStatus, PrismaService, type IndicatorType, type Member } from '@app/database';
import { IndicatorsService } from '@app/indicators';
import { newClientId } from '@app/members';
import { MetricsListener } from '@app/observability';
import { createApiApp } from '../../apps/api/src/bootstrap.js';
import {
  assertionForm,
  newKeyPair,
  postTokenForm,
  signAssertion,
  type AssertionClaims,
  type TestKeyPair,
  type TokenEndpointAnswer,
} from './oauth.js';

/** A GraphQL response as a client sees it. */
export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

/** Options of `ctx.newMember()`. */
export interface NewMemberOptions {
  role?: MemberRole;
  status?: MemberStatus;
  alg?: 'EdDSA' | 'ES256';
  name?: string;
}

/** A member made by `ctx.newMember()`, holding its private key like a real member would. */
export interface TestMember {
  member: Member;
  id: string;
  clientId: string;
  /** The key `assertion()` and `token()` sign with (the first one unless changed). */
  key: TestKeyPair;
  kid: string;
  privateJwk: JWK;
  /** A client assertion for this server, with optional claim and header overrides. */
  assertion(claims?: AssertionClaims, header?: Record<string, unknown>, key?: TestKeyPair): Promise<string>;
  /** Runs the token endpoint with a fresh assertion; throws unless it answers 200. */
  token(key?: TestKeyPair): Promise<string>;
}

/** A token value (64 hex) derived from a label, unique to this test run. */
export function testToken(label: string): string {
  return createHash('sha256').update(`${label}:${randomUUID()}`).digest('hex');
}

/** One indicator of a test submission: an ACCOUNT_SIGNAL in epoch 2026-q4 unless told otherwise. */
export interface TestIndicator {
  token: string;
  type?: IndicatorType | `${IndicatorType}`;
  keyEpoch?: string;
  expiresAt?: Date;
  confidence?: number;
  externalRef?: string;
  discloseIdentity?: boolean;
}

/** The fields `ctx.newEndpoint()` selects. */
export const ENDPOINT_FIELDS =
  'id url description eventTypes status asymmetricSignature failingSince disabledAt disabledReason previousSecretExpiresAt';

/**
 * A Prisma client as the tables' owner (DATABASE_URL), whom row-level
 * security does not bind: fixtures and cross-member assertions. Disconnect it
 * when done.
 */
export async function ownerDb(config: AppConfig = loadConfig()): Promise<PrismaService> {
  const db = new PrismaService(config, 'owner');
  await db.$connect();
  return db;
}

/**
 * A running API on a random loopback port, against this file's own database
 * and Redis prefix. Factories for domain objects (members, keys...) hang off
 * this class as later features need them.
 */
export class TestContext {
  private constructor(
    readonly config: AppConfig,
    readonly app: NestExpressApplication,
    readonly url: string,
    /**
     * The tables' owner (DATABASE_URL), whom row-level security does not bind:
     * for fixtures and for assertions that look across members. The API
     * itself never holds such a connection.
     */
    readonly db: PrismaService,
  ) {}

  /** Starts the API with the file's configuration, optionally overridden. */
  static async start(overrides: Record<string, string> = {}): Promise<TestContext> {
    const env = { ...process.env, HOST: '127.0.0.1', PORT: '0', ...overrides };
    const config = loadConfig(env);
    const app = await createApiApp(config);
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    // The issuer must be the address clients really use.
    if (!overrides.PUBLIC_BASE_URL) config.http.publicBaseUrl = url;
    return new TestContext(config, app, url, await ownerDb(config));
  }

  /** The API's metrics listener (METRICS_PORT, any free port in tests): `${metricsUrl}/metrics`. */
  get metricsUrl(): string {
    const address = this.app.get(MetricsListener).address();
    if (!address) throw new Error('the metrics listener is not running');
    return `http://127.0.0.1:${address.port}`;
  }

  /** The API's own client: connected as `sigfed_api`, so it sees member-owned rows only inside `asMember`. */
  get prisma(): PrismaService {
    return this.app.get(PrismaService);
  }

  /** The issuer URL: `aud` of client assertions, `iss` and `aud` of access tokens. */
  get issuer(): string {
    return this.config.http.publicBaseUrl;
  }

  /**
   * Creates a member straight in the database (ACTIVE MEMBER with one
   * EdDSA key unless told otherwise), the way an onboarded member would be.
   */
  async newMember(options: NewMemberOptions = {}): Promise<TestMember> {
    const key = await newKeyPair(options.alg ?? 'EdDSA');
    const member = await this.db.member.create({
      data: {
        clientId: newClientId(),
        name: options.name ?? `Lab ${Math.random().toString(36).slice(2, 8)}`,
        role: options.role ?? MemberRole.MEMBER,
        status: options.status ?? MemberStatus.ACTIVE,
        keys: {
          create: { kid: key.kid, alg: key.alg, publicJwk: { ...key.publicJwk, kid: key.kid, alg: key.alg, use: 'sig' } },
        },
      },
    });
    const assertion = (claims: AssertionClaims = {}, header: Record<string, unknown> = {}, signer = key) =>
      signAssertion(signer, member.clientId, this.issuer, claims, header);
    return {
      member,
      id: member.id,
      clientId: member.clientId,
      key,
      kid: key.kid,
      privateJwk: key.privateJwk,
      assertion,
      token: async (signer = key) => {
        const answer = await this.requestToken(await assertion({}, {}, signer));
        if (answer.status !== 200 || !answer.body.access_token) {
          throw new Error(`token endpoint answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        }
        return answer.body.access_token;
      },
    };
  }

  /** An ACTIVE admin member. */
  newAdmin(options: Omit<NewMemberOptions, 'role'> = {}): Promise<TestMember> {
    return this.newMember({ ...options, role: MemberRole.ADMIN });
  }

  /** Stores a submission of `member` through the service, as submitIndicators would (quotas and all). */
  submit(member: TestMember | string, indicators: TestIndicator[], idempotencyKey: string = randomUUID()) {
    return this.app.get(IndicatorsService).submit(typeof member === 'string' ? member : member.id, {
      idempotencyKey,
      indicators: indicators.map(({ type = 'ACCOUNT_SIGNAL', keyEpoch = '2026-q4', ...rest }) => ({
        type: type as IndicatorType,
        keyEpoch,
        ...rest,
      })),
    });
  }

  /** Makes every given member hold `token` (one submission each), so correlation opens an alert for each; returns it. */
  async shareToken(members: TestMember[], token: string = testToken('shared')): Promise<string> {
    for (const member of members) await this.submit(member, [{ token }]);
    return token;
  }

  /** Registers a webhook endpoint for `member` over GraphQL; returns it, its secret and the token used. */
  async newEndpoint(
    member: TestMember,
    input: { url: string; eventTypes?: string[]; description?: string; asymmetricSignature?: boolean },
  ): Promise<{ id: string; secret: string; token: string }> {
    const token = await member.token();
    const res = await this.gql<{ createWebhookEndpoint: { endpoint: { id: string }; secret: string } }>(
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { ${ENDPOINT_FIELDS} } } }`,
      { input: { eventTypes: ['alert.created', 'alert.updated', 'alert.closed'], ...input } },
      token,
    );
    if (!res.data) throw new Error(`createWebhookEndpoint failed: ${JSON.stringify(res.errors)}`);
    return { id: res.data.createWebhookEndpoint.endpoint.id, secret: res.data.createWebhookEndpoint.secret, token };
  }

  /** POSTs a client_credentials request with this assertion (plus extra form fields) to /oauth/token. */
  requestToken(assertion: string, extra: Record<string, string> = {}): Promise<TokenEndpointAnswer> {
    return postTokenForm(this.url, assertionForm(assertion, extra));
  }

  /** POSTs a GraphQL operation, with a bearer token and extra headers when given. */
  async gql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
    headers: Record<string, string> = {},
  ): Promise<GqlResponse<T>> {
    const res = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as Omit<GqlResponse<T>, 'status'>;
    return { status: res.status, ...body };
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.db.$disconnect();
  }
}
