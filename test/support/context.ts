import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig, type AppConfig } from '@app/config';
import { PrismaService } from '@app/database';
import { createApiApp } from '../../apps/api/src/bootstrap.js';

/** A GraphQL response as a client sees it. */
export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
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
    return new TestContext(config, app, url);
  }

  get prisma(): PrismaService {
    return this.app.get(PrismaService);
  }

  /** POSTs a GraphQL operation, with a bearer token when given. */
  async gql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
  ): Promise<GqlResponse<T>> {
    const res = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as Omit<GqlResponse<T>, 'status'>;
    return { status: res.status, ...body };
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
