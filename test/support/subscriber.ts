import { createRequire } from 'node:module';
import { createClient, type Client } from 'graphql-ws';
import type { TestContext } from './context.js';

// `ws` ships with @nestjs/graphql (the server side uses it); Node 20 has no WebSocket client of its own.
const WebSocketImpl = createRequire(import.meta.url)('ws') as unknown;

/** One alertEvents message as a subscriber received it. */
export interface ReceivedAlertEvent {
  type: string;
  occurredAt: string;
  alert: { id: string } & Record<string, unknown>;
}

/** A graphql-ws client subscribed to alertEvents, recording what arrives and how its connection closed. */
export class Subscriber {
  readonly events: ReceivedAlertEvent[] = [];
  readonly errors: unknown[] = [];
  closed: { code: number; reason: string } | undefined;
  private readonly client: Client;

  /** Subscribes at once; `alertFields` is the selection on `alert`. */
  constructor(ctx: TestContext, connectionParams: Record<string, unknown>, alertFields = 'id version status') {
    this.client = createClient({
      url: `${ctx.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocketImpl,
      connectionParams,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined, // `closed` records it
      on: { closed: (event) => (this.closed ??= event as { code: number; reason: string }) },
    });
    this.client.subscribe<{ alertEvents: ReceivedAlertEvent }>(
      { query: `subscription { alertEvents { type occurredAt alert { ${alertFields} } } }` },
      {
        next: (result) => {
          if (result.data) this.events.push(result.data.alertEvents);
          if (result.errors) this.errors.push(...result.errors);
        },
        error: (error) => this.errors.push(error),
        complete: () => undefined,
      },
    );
  }

  /** Subscribes with a bearer token and waits until the server surely has the subscription. */
  static async open(ctx: TestContext, token: string): Promise<Subscriber> {
    const subscriber = new Subscriber(ctx, { authorization: `Bearer ${token}` });
    await new Promise((r) => setTimeout(r, 300));
    return subscriber;
  }

  async dispose(): Promise<void> {
    await this.client.dispose();
  }
}

/** What one operation sent over a graphql-ws connection got back first. */
export interface WsAnswer {
  /** `next`: a result; `error`: an error message; `complete`: ended without either; `closed`: the connection closed; `pending`: nothing yet (an open subscription). */
  kind: 'next' | 'error' | 'complete' | 'closed' | 'pending';
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** A graphql-ws connection that runs any operation and records when and how it closed. */
export class WsConnection {
  closed: { code: number; reason: string; at: number } | undefined;
  private readonly client: Client;

  private constructor(ctx: TestContext, connectionParams: Record<string, unknown>, connected: () => void) {
    this.client = createClient({
      url: `${ctx.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocketImpl,
      connectionParams,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
      on: {
        connected,
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          this.closed ??= { code, reason, at: Date.now() };
          connected();
        },
      },
    });
  }

  /** Connects with a bearer token; resolves once the server acknowledged (or closed) the connection. */
  static async open(ctx: TestContext, token: string): Promise<WsConnection> {
    let connection!: WsConnection;
    await new Promise<void>((resolve) => (connection = new WsConnection(ctx, { authorization: `Bearer ${token}` }, resolve)));
    return connection;
  }

  /** Sends one operation and resolves with the first thing that comes back, or `pending` after `waitMs`. */
  run(query: string, variables: Record<string, unknown> = {}, waitMs = 500): Promise<WsAnswer> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ kind: 'pending' }), waitMs);
      const settle = (answer: WsAnswer) => {
        clearTimeout(timer);
        resolve(answer);
      };
      this.client.subscribe(
        { query, variables },
        {
          next: (result) => settle({ kind: 'next', data: result.data ?? undefined, errors: result.errors as WsAnswer['errors'] }),
          error: (error) =>
            Array.isArray(error) ? settle({ kind: 'error', errors: error as WsAnswer['errors'] }) : settle({ kind: 'closed' }),
          complete: () => settle({ kind: 'complete' }),
        },
      );
    });
  }

  async dispose(): Promise<void> {
    await this.client.dispose();
  }
}
