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
