/** GraphQL `extensions.code` values Sigfed uses; clients switch on these. */
export type GraphQLErrorCode =
  'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'RATE_LIMITED' | 'INTERNAL_SERVER_ERROR';

/**
 * Base of every module's own exception. A module subclasses it with a code
 * enum and maps each code to a GraphQL code exhaustively (see
 * `assertUnreachable`), so an unmapped code fails to compile.
 */
export abstract class DomainError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** The GraphQL error code this error is reported with. */
  abstract get graphqlCode(): GraphQLErrorCode;
}

/** Compile-time exhaustiveness check for switches over code enums. */
export function assertUnreachable(value: never): never {
  throw new Error(`unhandled case: ${String(value)}`);
}
