import type { ExecutionArgs, GraphQLError } from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import { setOperationCost } from '@app/common';
import type { SocketWatchService } from './socket-watch.service.js';

/** The part of a `ws` WebSocket the stream uses: its state, and closing it with an application code. */
export interface StreamSocket {
  readonly readyState: number;
  close(code: number, reason: string): void;
}

/**
 * The GraphQL context of an operation on a graphql-ws connection: `req`
 * looks enough like an HTTP request (its Authorization header comes from
 * the connection init payload) that the global AuthGuard and
 * @CurrentMember() work unchanged. A fresh one per operation, so the guard
 * verifies the token and member, and charges the operation's cost, for each
 * operation as it does for each HTTP request. `socket` lets the stream close
 * the connection.
 */
export interface StreamContext {
  req?: { headers: { authorization?: string } };
  socket?: StreamSocket;
}

/** A subscribe message checked as the HTTP pipeline checks a request: what to execute and what it costs. */
export interface PreparedOperation {
  args: Omit<ExecutionArgs, 'contextValue' | 'rootValue'>;
  cost: number;
}

/** Parses, validates and prices one subscribe message, or says why it is refused (the API's GraphQL rules). */
export type PrepareOperation = (payload: SubscribePayload) => PreparedOperation | readonly GraphQLError[];

/** `Bearer <token>` from a connection init payload: `{ authorization: "Bearer ..." }` (any case) or `{ token }`. */
export function bearerFromConnectionParams(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!params) return undefined;
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== 'string' || value.length > 8_200) continue;
    const name = key.toLowerCase();
    if (name === 'authorization' && /^Bearer \S+$/i.test(value)) return value;
    if ((name === 'token' || name === 'accesstoken') && /^\S+$/.test(value)) return `Bearer ${value}`;
  }
  return undefined;
}

const socketOf = (ctx: Context) => (ctx.extra as { socket: StreamSocket }).socket;

/**
 * graphql-ws server options for the API. A connection is admitted only with
 * a valid token of an active member (4401/4403 otherwise) and is watched by
 * SocketWatchService until it closes. Each operation is checked by `prepare`
 * (subscriptions only, the HTTP validation rules and query limits) and runs
 * with its own StreamContext carrying its cost, which the AuthGuard verifies
 * and charges.
 */
export function alertStreamWsOptions(watch: SocketWatchService, prepare: PrepareOperation) {
  return {
    onConnect: async (ctx: Context): Promise<boolean> => {
      const socket = socketOf(ctx);
      const refusal = await watch.admit(socket, bearerFromConnectionParams(ctx.connectionParams));
      if (!refusal) return true;
      socket.close(refusal.code, refusal.reason);
      return false;
    },
    onSubscribe: (ctx: Context, _id: string, payload: SubscribePayload): ExecutionArgs | readonly GraphQLError[] => {
      const prepared = prepare(payload);
      if (!('args' in prepared)) return prepared;
      const req = { headers: { authorization: bearerFromConnectionParams(ctx.connectionParams) } };
      setOperationCost(req, prepared.cost);
      const contextValue: StreamContext = { req, socket: socketOf(ctx) };
      return { ...prepared.args, contextValue };
    },
    onClose: (ctx: Context): void => watch.forget(socketOf(ctx)),
  };
}
