import type { NextFunction, Request, Response } from 'express';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '@app/config';
import { ApiModule } from './api.module.js';
import { documentLimitsMiddleware } from './graphql/document-limits.js';

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
  const server = app.getHttpServer();
  server.requestTimeout = config.requestTimeoutMs;
  server.headersTimeout = Math.min(config.requestTimeoutMs, 30_000);
  return app;
}
