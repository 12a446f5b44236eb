import type { NextFunction, Request, Response } from 'express';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '@app/config';
import { ApiModule } from './api.module.js';
import { consoleStatic } from './console/console-static.js';
import { documentLimitsMiddleware } from './graphql/document-limits.js';

/** How often Node looks for requests past their headers or request timeout. */
const CONNECTIONS_CHECK_MS = 1_000;

/** Body-parser failures (oversized, malformed) answered as JSON, never as an HTML stack trace. */
function bodyErrors(err: { status?: number; type?: string; message?: string }, _req: Request, res: Response, next: NextFunction) {
  if (!err?.status || err.status >= 500) return next(err);
  const reason = err.type === 'entity.too.large' ? 'request body exceeds the size limit' : 'malformed request body';
  res.status(err.status).json({ errors: [{ message: reason, extensions: { code: 'BAD_REQUEST', reason: err.type } }] });
}

/** Builds the API application (not yet listening); tests call this too. */
export async function createApiApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.useBodyParser('json', { limit: config.http.bodyLimit });
  app.useBodyParser('urlencoded', { limit: '16kb', extended: false });
  app.use(bodyErrors);
  // Before Apollo parses or validates anything: hostile documents are refused in microseconds.
  app.use('/graphql', documentLimitsMiddleware(config.graphql.document));
  // The web console: static files from the same origin, under a strict CSP (docs/console.md).
  app.use('/console', consoleStatic());
  const server = app.getHttpServer();
  server.requestTimeout = config.requestTimeoutMs;
  server.headersTimeout = config.headersTimeoutMs;
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  // Node enforces both timeouts only when it sweeps its connections (every 30 s by default), so a
  // slow request could outlive REQUEST_TIMEOUT_MS by that much. Read when the server starts
  // listening; @types/node declares it only as a createServer option.
  Object.assign(server, { connectionsCheckingInterval: CONNECTIONS_CHECK_MS });
  return app;
}
