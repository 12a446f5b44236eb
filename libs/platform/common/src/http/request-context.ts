import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Request } from 'express';

/** The Express request behind an HTTP handler or a GraphQL resolver. */
export function requestOf(context: ExecutionContext): Request {
  if (context.getType<string>() === 'graphql') {
    return GqlExecutionContext.create(context).getContext<{ req: Request }>().req;
  }
  return context.switchToHttp().getRequest<Request>();
}

/** The request id pino-http assigned (the X-Request-Id echoed to the caller), if any. */
export function requestIdOf(req: Request | undefined): string | undefined {
  const id: unknown = (req as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** Parameter decorator: the current request's id, for audit entries and logs. */
export const RequestId = createParamDecorator((_data: unknown, context: ExecutionContext) => requestIdOf(requestOf(context)));
