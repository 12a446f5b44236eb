import { Catch, HttpException, Logger, type ArgumentsHost } from '@nestjs/common';
import { GqlArgumentsHost, type GqlExceptionFilter } from '@nestjs/graphql';
import type { Response } from 'express';
import { GraphQLError } from 'graphql';
import { DomainError, type GraphQLErrorCode } from './domain-error.js';

const HTTP_TO_GRAPHQL: Record<number, GraphQLErrorCode> = {
  400: 'BAD_USER_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
};

/**
 * The one place resolver errors become GraphQL errors: domain errors keep
 * their code and message, Prisma's unique/not-found errors become CONFLICT
 * and NOT_FOUND, and anything unknown is logged and answered with a bare
 * INTERNAL_SERVER_ERROR (no message, no stack) outside development. Errors
 * of plain HTTP routes are answered as JSON.
 */
@Catch()
export class GraphQLExceptionFilter implements GqlExceptionFilter {
  private readonly logger = new Logger('GraphQL');

  constructor(private readonly exposeInternals: boolean) {}

  /** A refusal that says when to retry says it in Retry-After too, which HTTP clients (the SDK) already honour. */
  private sayRetryAfter(exception: DomainError<string>, host: ArgumentsHost): void {
    const seconds = exception.details?.retryAfterSeconds;
    if (typeof seconds !== 'number') return;
    const res = GqlArgumentsHost.create(host).getContext<{ res?: Response }>()?.res;
    if (res && !res.headersSent && typeof res.setHeader === 'function') res.setHeader('Retry-After', String(seconds));
  }

  catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<string>() === 'http') return this.answerHttp(exception, host);
    if (host.getType<string>() !== 'graphql') throw exception;
    if (exception instanceof GraphQLError) return exception;
    if (exception instanceof DomainError) {
      this.sayRetryAfter(exception, host);
      return new GraphQLError(exception.message, {
        extensions: { code: exception.graphqlCode, reason: exception.code, ...(exception.details ?? {}) },
      });
    }
    const prismaCode = (exception as { code?: unknown })?.code;
    if (prismaCode === 'P2002') {
      return new GraphQLError('A record with these values already exists', { extensions: { code: 'CONFLICT' } });
    }
    if (prismaCode === 'P2025') {
      return new GraphQLError('Not found', { extensions: { code: 'NOT_FOUND' } });
    }
    if (exception instanceof HttpException) {
      const code = HTTP_TO_GRAPHQL[exception.getStatus()];
      if (code) return new GraphQLError(exception.message, { extensions: { code } });
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return new GraphQLError(this.exposeInternals && exception instanceof Error ? exception.message : 'Internal server error', {
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  }

  /**
   * Plain HTTP routes (token endpoint, JWKS, health, unknown paths): Nest's
   * JSON error body. Rethrown, the error reached Express's final handler,
   * whose HTML page carries the stack trace and file paths unless
   * NODE_ENV is `production` (Sigfed's default is `development`).
   */
  private answerHttp(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      res.end();
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      res.status(status).json(typeof body === 'string' ? { statusCode: status, message: body } : body);
      return;
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    res.status(500).json({ statusCode: 500, message: 'Internal server error' });
  }
}
