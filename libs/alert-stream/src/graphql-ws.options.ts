import type { Context } from 'graphql-ws';

/** The part of a `ws` WebSocket the stream uses: closing it with an application code. */
export interface StreamSocket {
  close(code: number, reason: string): void;
}

/**
 * The GraphQL context of an operation on a graphql-ws connection: `req`
 * looks enough like an HTTP request (its Authorization header comes from
 * the connection init payload) that the global AuthGuard and
 * @CurrentMember() work unchanged; `socket` lets the stream close the
 * connection when the token expires or the member is suspended.
 */
export interface StreamContext {
  req?: { headers: { authorization?: string } };
  socket?: StreamSocket;
}

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

/**
 * graphql-ws server options for the API: a connection without a bearer
 * token in its init payload is refused (4403); each operation gets the
 * connection's StreamContext, and the AuthGuard verifies the token.
 */
export function alertStreamWsOptions() {
  return {
    onConnect: (ctx: Context) => bearerFromConnectionParams(ctx.connectionParams) !== undefined,
    context: (ctx: Context): StreamContext => {
      const extra = ctx.extra as { socket: StreamSocket; sigfed?: StreamContext };
      extra.sigfed ??= {
        req: { headers: { authorization: bearerFromConnectionParams(ctx.connectionParams) } },
        socket: extra.socket,
      };
      return extra.sigfed;
    },
  };
}
