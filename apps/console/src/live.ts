import { createClient, type Client } from 'graphql-ws';
import type { Session } from './session.js';
import { ALERT_FIELDS, type Alert } from './operations.js';

/** One alertEvents message. */
export interface AlertEvent {
  id: string;
  type: string;
  occurredAt: string;
  alert: Alert;
}

const SUBSCRIPTION = `subscription Live($after: ID) { alertEvents(after: $after) { id type occurredAt alert { ${ALERT_FIELDS} } } }`;

/**
 * The member's alert events over graphql-ws on this origin, the token in the
 * connection init payload as the SDK sends it. The server closes the socket
 * (4401) when the token expires: the stream reconnects with a fresh token and
 * resumes after the last event it received, so nothing is missed.
 */
export class AlertStream {
  private client?: Client;
  private last?: string;
  private stopped = false;
  private retry?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly session: Session,
    private readonly onEvent: (event: AlertEvent) => void,
    private readonly onState: (state: 'live' | 'reconnecting') => void,
  ) {}

  start(): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    this.client = createClient({
      url,
      lazy: false,
      retryAttempts: 0,
      connectionParams: async () => ({ authorization: `Bearer ${await this.session.accessToken()}` }),
      on: { connected: () => this.onState('live') },
    });
    this.subscribe();
  }

  private subscribe(): void {
    if (this.stopped || !this.client) return;
    this.client.subscribe<{ alertEvents: AlertEvent }>(
      { query: SUBSCRIPTION, variables: this.last ? { after: this.last } : {} },
      {
        next: (message) => {
          const event = message.data?.alertEvents;
          if (!event) return;
          this.last = event.id;
          this.onEvent(event);
        },
        error: () => this.again(),
        complete: () => this.again(),
      },
    );
  }

  private again(): void {
    if (this.stopped) return;
    this.onState('reconnecting');
    this.retry = setTimeout(() => this.subscribe(), 2_000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    void this.client?.dispose();
  }
}
