import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '@app/sdk';

/** What one receiver path saw of one webhook-id. */
export interface Seen {
  /** Requests carrying this webhook-id. */
  requests: number;
  /** Of those, answered 2xx (so the server may count the delivery done). */
  acknowledged: number;
  type: string;
}

/** One endpoint's receiver: its secret, how often it fails on purpose, and what it saw. */
export interface ReceiverPath {
  path: string;
  secret: string;
  /** Share of requests answered 500 on purpose, 0-1. */
  failRate: number;
  /** How long each answer takes. */
  delayMs: number;
  byId: Map<string, Seen>;
  requests: number;
  failedOnPurpose: number;
  badSignatures: number;
}

/**
 * Webhook receivers on loopback: one HTTP server, one path per endpoint.
 * Each request is verified as a member would (Standard Webhooks signature
 * with the endpoint's secret) and recorded by `webhook-id`, so duplicates
 * (at-least-once) and losses can be told apart from the server's own records.
 */
export class Receivers {
  private readonly paths = new Map<string, ReceiverPath>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receivers> {
    let receivers!: Receivers;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = receivers.handle(req.url ?? '', req.headers, Buffer.concat(chunks).toString('utf8'));
        const delay = receivers.paths.get(req.url ?? '')?.delayMs ?? 0;
        setTimeout(() => res.writeHead(status).end(), delay);
      });
    });
    server.keepAliveTimeout = 5_000;
    receivers = new Receivers(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receivers;
  }

  /** http://127.0.0.1:<port><path> */
  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Starts recording `path`; the secret arrives once the endpoint is registered. */
  add(path: string, failRate = 0, delayMs = 0): ReceiverPath {
    const entry: ReceiverPath = { path, secret: '', failRate, delayMs, byId: new Map(), requests: 0, failedOnPurpose: 0, badSignatures: 0 };
    this.paths.set(path, entry);
    return entry;
  }

  get all(): ReceiverPath[] {
    return [...this.paths.values()];
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(path: string, headers: Record<string, string | string[] | undefined>, body: string): number {
    const entry = this.paths.get(path);
    if (!entry) return 404;
    entry.requests++;
    let type: string;
    try {
      type = verifyWebhook(body, headers, entry.secret).type;
    } catch {
      entry.badSignatures++;
      return 400;
    }
    const id = String(headers['webhook-id']);
    const seen = entry.byId.get(id) ?? { requests: 0, acknowledged: 0, type };
    entry.byId.set(id, seen);
    seen.requests++;
    if (Math.random() < entry.failRate) {
      entry.failedOnPurpose++;
      return 500;
    }
    seen.acknowledged++;
    return 204;
  }
}
