import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { loadConfig } from '@app/config';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';

/** One request a receiver got, with the raw body exactly as it arrived. */
export interface ReceivedRequest {
  at: number;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** How a receiver answers: a status (with headers and body), or never (the request hangs until released). */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/**
 * A webhook receiver on loopback that records every request and answers
 * from a script of replies (then `fallback`), for delivery tests.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  fallback: Reply = { status: 204 };
  private readonly script: Reply[] = [];
  private readonly hanging: ServerResponse[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    let receiver!: WebhookReceiver;
    const server = createServer((req, res) => receiver.handle(req, res));
    receiver = new WebhookReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** http://127.0.0.1:<port><path> */
  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Answers the next requests with these replies, in order. */
  reply(...replies: Reply[]): void {
    this.script.push(...replies);
  }

  /** Requests whose path is `path`. */
  at(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Answers every hanging request with `status`. */
  release(status = 200): void {
    for (const res of this.hanging.splice(0)) if (!res.writableEnded && !res.destroyed) res.writeHead(status).end();
  }

  async close(): Promise<void> {
    this.release(503);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      this.requests.push({ at: Date.now(), path: req.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = this.script.shift() ?? this.fallback;
      if (reply === 'hang') this.hanging.push(res);
      else res.writeHead(reply.status, reply.headers).end(reply.body ?? '');
    });
  }
}

/** An in-process worker role against this file's database and Redis, with config overrides. */
export async function startWorker(overrides: Record<string, string> = {}): Promise<INestApplication> {
  const config = loadConfig({ ...process.env, OUTBOX_POLL_MS: '100', ...overrides });
  const ref = await Test.createTestingModule({ imports: [WorkerModule.forRoot(config)] }).compile();
  const app = ref.createNestApplication({ logger: false });
  await app.init();
  return app;
}
