import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { StartupError } from '@app/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { MetricsService } from './metrics.service.js';

/**
 * The API's /metrics on its own listener (METRICS_HOST:METRICS_PORT, loopback
 * by default), never on the public port: queue depths, delayed webhooks and
 * authentication failures are facts about the whole federation.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsListener.name);
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { metricsHost: host, metricsPort: port } = this.config.http;
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
        return;
      }
      this.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType, 'cache-control': 'no-store' }).end(text),
        (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${error.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new StartupError(`cannot serve metrics on ${host}:${port} (METRICS_HOST, METRICS_PORT): ${error.code ?? error.message}`)),
      );
      // Exclusive: under `serve` with several API processes (node:cluster) each one needs its own listener, not a shared one.
      server.listen({ port, host, exclusive: true }, () => resolve());
    });
    this.server = server;
    this.logger.log(`metrics on http://${host}:${this.address()!.port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Where the listener is bound (tests use port 0), or undefined before start. */
  address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }
}
